// A header's address list ("Ann <a@x>, \"Doe, Jo\" <j@y>") split into its addresses.

/**
 * The addresses of a comma-separated header list, trimmed, empty ones left out. A comma splits where the
 * number of double quotes after it is even (commas inside quoted names kept; with unbalanced quotes, the last
 * quote opens nothing). One pass over the text (a Sync page splits two lists per message).
 */
export function splitAddresses(list: string): string[] {
  let quotes = 0;
  for (let i = 0; i < list.length; i++) if (list.charCodeAt(i) === 34) quotes++;
  const out: string[] = [];
  let start = 0;
  let after = quotes; // quotes at or after position i
  for (let i = 0; i < list.length; i++) {
    const c = list.charCodeAt(i);
    if (c === 34) after--;
    else if (c === 44 && after % 2 === 0) {
      const a = list.slice(start, i).trim();
      if (a) out.push(a);
      start = i + 1;
    }
  }
  const last = list.slice(start).trim();
  if (last) out.push(last);
  return out;
}

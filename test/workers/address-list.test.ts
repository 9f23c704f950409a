// formats/address-list.ts: one pass, the same split as the lookahead regex it replaced (a comma splits where an
// even number of double quotes follows it), checked on chosen lists and on every short string of , " a and space.
import { expect, it } from "vitest";
import { splitAddresses } from "../../src/formats/address-list";

/** The former definition (src/mailbox/mail-item.ts before issue 15 target 2). */
const byRegex = (list: string) =>
  list
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((a) => a.trim())
    .filter(Boolean);

it("splits a header's address list as the regex did, quoted commas kept", () => {
  expect(splitAddresses(`Ann <a@x>, "Doe, Jo" <j@y>,b@z`)).toEqual(["Ann <a@x>", `"Doe, Jo" <j@y>`, "b@z"]);
  expect(splitAddresses(" , ,")).toEqual([]);
  expect(splitAddresses(`"unbalanced, a@x, b@y`)).toEqual(byRegex(`"unbalanced, a@x, b@y`));
  const alphabet = [",", '"', "a", " "];
  for (let n = 0; n <= 7; n++)
    for (let k = 0; k < alphabet.length ** n; k++) {
      let s = "";
      for (let i = 0, x = k; i < n; i++, x = Math.floor(x / alphabet.length)) s += alphabet[x % alphabet.length];
      expect(splitAddresses(s), JSON.stringify(s)).toEqual(byRegex(s));
    }
});

// Money as people read it. Amounts are stored and sent by the admin API in the currency's minor unit
// (cents for EUR: 2400 = 24.00 EUR); these turn them into text. Imports nothing of ours.

/** Digits after the decimal point for an ISO 4217 code (EUR 2, JPY 0, KWD 3); 2 for a code Intl does not know. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "24.00 EUR": for messages, logs and the audit log (no locale, no symbol). */
export function moneyText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(minor));
  const units = Math.floor(abs / 10 ** digits);
  const rest = digits ? `.${String(abs % 10 ** digits).padStart(digits, "0")}` : "";
  return `${sign}${units}${rest} ${currency.toUpperCase()}`;
}

/** "24,00 €" (fr), "€24.00" (en): for pages, in the reader's language. Falls back to moneyText. */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency);
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency.toUpperCase() }).format(minor / 10 ** digits);
  } catch {
    return moneyText(minor, currency);
  }
}

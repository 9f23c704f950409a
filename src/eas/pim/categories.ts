// Categories/Category of every PIM class ([MS-ASCAL] 2.2.2.10, [MS-ASCNTC] 2.2.2.16, [MS-ASTASK] 2.2.2.5,
// [MS-ASNOTE] 2.2.2.2) <-> the iCalendar/vCard CATEGORIES property.
import { child, childrenNamed, el, text as textOf } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { ICAL } from "../../formats/ical-util";

/** At most 300 Category elements per Categories (MS-ASCAL_R186, R187). */
const MAX = 300;

export function categoriesToEas(comp: ICAL.Component, ns: string): WbxmlElement | undefined {
  const list = comp.getAllProperties("categories").flatMap((p) => p.getValues().map(String));
  return list.length ? el(ns, "Categories", ...list.slice(0, MAX).map((c) => el(ns, "Category", c))) : undefined;
}

/**
 * Applies the device's Categories: present = replace (empty = none), absent = removed unless `keep`.
 * Returns whether the element was present.
 */
export function categoriesFromEas(comp: ICAL.Component, data: WbxmlElement, ns: string, keep: boolean): boolean {
  const cats = child(data, "Categories", ns);
  if (!cats && keep) return false;
  comp.removeAllProperties("categories");
  const list = childrenNamed(cats, "Category", ns)
    .map((c) => textOf(c) ?? "")
    .filter((c) => c !== "");
  if (list.length) {
    const p = new ICAL.Property("categories", comp);
    p.setValues(list.slice(0, MAX));
    comp.addProperty(p);
  }
  return cats !== undefined;
}

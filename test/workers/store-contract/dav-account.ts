// The calendar, task list and address book of a test DAV account, made on Radicale as a provider has them.
import { DavClient } from "../../../src/store/dav";

export interface DavLogin {
  url: string;
  username: string;
  password: string;
}

export async function makeDavCollections(a: DavLogin): Promise<void> {
  const home = `/${a.username}/`;
  const client = new DavClient(a);
  // Radicale creates the principal on first use.
  await fetch(new URL(home, a.url), {
    method: "PROPFIND",
    headers: { Authorization: `Basic ${btoa(`${a.username}:${a.password}`)}`, Depth: "0" },
  });
  await client.makeCollection(`${home}calendar/`, "calendar", "Calendar", ["VEVENT"]);
  await client.makeCollection(`${home}tasks/`, "calendar", "Tasks", ["VTODO"]);
  await client.makeCollection(`${home}contacts/`, "addressbook", "Contacts");
}

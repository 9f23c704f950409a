// MeetingResponse ([MS-ASCMD] 2.2.1.11): accept, tentatively accept or decline meeting requests, from
// the Inbox message or the calendar item. At most 100 requests ([MS-ASCMD] 3.1.5.10: Status 103 beyond).
import { childrenNamed, childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { atLeast } from "../protocol-version";

const mr = (name: string, ...c: Parameters<typeof el>[2][]) => el("MeetingResponse", name, ...c);

export const MeetingResponseCommand: EasCommand = {
  name: "MeetingResponse",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.ns === "MeetingResponse" && req.body.name === "MeetingResponse" ? req.body : undefined;
    const requests = childrenNamed(b, "Request");
    if (!b || requests.length === 0) return { kind: "wbxml", body: mr("MeetingResponse", mr("Result", mr("Status", 2))) };
    if (requests.length > 100) return { kind: "wbxml", body: mr("MeetingResponse", mr("Result", mr("Status", 103))) };
    const parsed = requests.map((r) => ({
      requestId: childText(r, "RequestId", "MeetingResponse")?.trim() ?? "",
      collectionId: childText(r, "CollectionId", "MeetingResponse")?.trim() ?? "",
      userResponse: Number(childText(r, "UserResponse", "MeetingResponse")?.trim() ?? "0"),
      instanceId: childText(r, "InstanceId", "MeetingResponse")?.trim() || undefined,
      // 16.x SendResponse present = send; 14.x always sends ([MS-ASCMD] 2.2.3.164).
      sendResponse: !atLeast(req.protocolVersion, "16.0") || childrenNamed(r, "SendResponse", "MeetingResponse").length > 0,
      proposedStart: childText(r, "ProposedStartTime", "MeetingResponse")?.trim() || undefined,
      proposedEnd: childText(r, "ProposedEndTime", "MeetingResponse")?.trim() || undefined,
    }));
    const results = await req.mailbox.meetingResponse(parsed);
    return {
      kind: "wbxml",
      body: mr(
        "MeetingResponse",
        ...results.map((x) =>
          mr("Result", mr("RequestId", x.requestId), mr("Status", x.status), x.calendarId && mr("CalendarId", x.calendarId)),
        ),
      ),
    };
  },
};

// The EAS WBXML code pages, written from [MS-ASWBXML] §2.1.2.1 (v23.0, 2022-04-29): page number, namespace,
// and for each tag its token and the protocol versions listed in the "Protocol versions" column.
// Gaps in the token sequences are the spec's (tokens retired in earlier revisions).

/** The ActiveSync protocol versions, oldest first ([MS-ASHTTP] §2.2.4.1.2.2). */
export const PROTOCOL_VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

// Every "Protocol versions" cell of the spec is a contiguous run of PROTOCOL_VERSIONS; a tag's versions are a
// 7-bit mask (bit i = PROTOCOL_VERSIONS[i]).
const span = (from: ProtocolVersion, to: ProtocolVersion): number => {
  const a = PROTOCOL_VERSIONS.indexOf(from);
  const b = PROTOCOL_VERSIONS.indexOf(to);
  return ((1 << (b + 1)) - 1) & ~((1 << a) - 1);
};
const ALL = span("2.5", "16.1"); // the spec's "All"
const V25 = span("2.5", "2.5");
const TO121 = span("2.5", "12.1");
const TO141 = span("2.5", "14.1");
const FROM120 = span("12.0", "16.1");
const FROM121 = span("12.1", "16.1");
const FROM140 = span("14.0", "16.1");
const FROM141 = span("14.1", "16.1");
const FROM160 = span("16.0", "16.1");
const V161 = span("16.1", "16.1");
// Page 3 (AirNotify): "WBXML code page 3 is no longer in use" (§2.1.2.1.4). Its tags are kept so that old
// traffic still decodes, but no current protocol version lists them.
const RETIRED = 0;
// 2.5 tags the current [MS-ASWBXML] no longer lists (tokens left as gaps) but that 2.5 clients still send:
// Windows Mobile 5 puts RtfTruncation in the Sync Options of calendar, contacts and tasks, and may send Rtf
// bodies and AttRemoved. Without them such a request would not even decode. Token values as every 2.5 server
// has them (libwbxml, Z-Push's wbxmldefs: AirSync 0x1a, Contacts 0x3b, Email 0x0b, Calendar 0x10, Tasks 0x21).
const RETIRED_25 = V25;

type Row = readonly [token: number, name: string, versions: number];

/** [page, namespace, rows]. Namespaces are the XML namespaces of §2.1.2.1 (the XSDs spell page 16 "GAL"). */
const PAGES: readonly (readonly [number, string, readonly Row[]])[] = [
  [
    0,
    "AirSync",
    [
      [0x05, "Sync", ALL],
      [0x06, "Responses", ALL],
      [0x07, "Add", ALL],
      [0x08, "Change", ALL],
      [0x09, "Delete", ALL],
      [0x0a, "Fetch", ALL],
      [0x0b, "SyncKey", ALL],
      [0x0c, "ClientId", ALL],
      [0x0d, "ServerId", ALL],
      [0x0e, "Status", ALL],
      [0x0f, "Collection", ALL],
      [0x10, "Class", ALL],
      [0x12, "CollectionId", ALL],
      [0x13, "GetChanges", ALL],
      [0x14, "MoreAvailable", ALL],
      [0x15, "WindowSize", ALL],
      [0x16, "Commands", ALL],
      [0x17, "Options", ALL],
      [0x18, "FilterType", ALL],
      [0x19, "Truncation", V25],
      [0x1a, "RtfTruncation", RETIRED_25],
      [0x1b, "Conflict", ALL],
      [0x1c, "Collections", ALL],
      [0x1d, "ApplicationData", ALL],
      [0x1e, "DeletesAsMoves", ALL],
      [0x20, "Supported", ALL],
      [0x21, "SoftDelete", ALL],
      [0x22, "MIMESupport", ALL],
      [0x23, "MIMETruncation", ALL],
      [0x24, "Wait", FROM121],
      [0x25, "Limit", FROM121],
      [0x26, "Partial", FROM121],
      [0x27, "ConversationMode", FROM140],
      [0x28, "MaxItems", FROM140],
      [0x29, "HeartbeatInterval", FROM140],
    ],
  ],
  [
    1,
    "Contacts",
    [
      [0x05, "Anniversary", ALL],
      [0x06, "AssistantName", ALL],
      [0x07, "AssistantPhoneNumber", ALL],
      [0x08, "Birthday", ALL],
      [0x09, "Body", V25],
      [0x0a, "BodySize", V25],
      [0x0b, "BodyTruncated", V25],
      [0x0c, "Business2PhoneNumber", ALL],
      [0x0d, "BusinessAddressCity", ALL],
      [0x0e, "BusinessAddressCountry", ALL],
      [0x0f, "BusinessAddressPostalCode", ALL],
      [0x10, "BusinessAddressState", ALL],
      [0x11, "BusinessAddressStreet", ALL],
      [0x12, "BusinessFaxNumber", ALL],
      [0x13, "BusinessPhoneNumber", ALL],
      [0x14, "CarPhoneNumber", ALL],
      [0x15, "Categories", ALL],
      [0x16, "Category", ALL],
      [0x17, "Children", ALL],
      [0x18, "Child", ALL],
      [0x19, "CompanyName", ALL],
      [0x1a, "Department", ALL],
      [0x1b, "Email1Address", ALL],
      [0x1c, "Email2Address", ALL],
      [0x1d, "Email3Address", ALL],
      [0x1e, "FileAs", ALL],
      [0x1f, "FirstName", ALL],
      [0x20, "Home2PhoneNumber", ALL],
      [0x21, "HomeAddressCity", ALL],
      [0x22, "HomeAddressCountry", ALL],
      [0x23, "HomeAddressPostalCode", ALL],
      [0x24, "HomeAddressState", ALL],
      [0x25, "HomeAddressStreet", ALL],
      [0x26, "HomeFaxNumber", ALL],
      [0x27, "HomePhoneNumber", ALL],
      [0x28, "JobTitle", ALL],
      [0x29, "LastName", ALL],
      [0x2a, "MiddleName", ALL],
      [0x2b, "MobilePhoneNumber", ALL],
      [0x2c, "OfficeLocation", ALL],
      [0x2d, "OtherAddressCity", ALL],
      [0x2e, "OtherAddressCountry", ALL],
      [0x2f, "OtherAddressPostalCode", ALL],
      [0x30, "OtherAddressState", ALL],
      [0x31, "OtherAddressStreet", ALL],
      [0x32, "PagerNumber", ALL],
      [0x33, "RadioPhoneNumber", ALL],
      [0x34, "Spouse", ALL],
      [0x35, "Suffix", ALL],
      [0x36, "Title", ALL],
      [0x37, "WebPage", ALL],
      [0x38, "YomiCompanyName", ALL],
      [0x39, "YomiFirstName", ALL],
      [0x3a, "YomiLastName", ALL],
      [0x3b, "Rtf", RETIRED_25],
      [0x3c, "Picture", ALL],
      [0x3d, "Alias", FROM140],
      [0x3e, "WeightedRank", FROM140],
    ],
  ],
  [
    2,
    "Email",
    [
      [0x05, "Attachment", V25],
      [0x06, "Attachments", V25],
      [0x07, "AttName", V25],
      [0x08, "AttSize", V25],
      [0x09, "Att0Id", V25],
      [0x0a, "AttMethod", V25],
      [0x0b, "AttRemoved", RETIRED_25],
      [0x0c, "Body", V25],
      [0x0d, "BodySize", V25],
      [0x0e, "BodyTruncated", V25],
      [0x0f, "DateReceived", ALL],
      [0x10, "DisplayName", V25],
      [0x11, "DisplayTo", ALL],
      [0x12, "Importance", ALL],
      [0x13, "MessageClass", ALL],
      [0x14, "Subject", ALL],
      [0x15, "Read", ALL],
      [0x16, "To", ALL],
      [0x17, "Cc", ALL],
      [0x18, "From", ALL],
      [0x19, "ReplyTo", ALL],
      [0x1a, "AllDayEvent", ALL],
      [0x1b, "Categories", FROM140],
      [0x1c, "Category", FROM140],
      [0x1d, "DtStamp", ALL],
      [0x1e, "EndTime", ALL],
      [0x1f, "InstanceType", ALL],
      [0x20, "BusyStatus", ALL],
      [0x21, "Location", TO141],
      [0x22, "MeetingRequest", ALL],
      [0x23, "Organizer", ALL],
      [0x24, "RecurrenceId", ALL],
      [0x25, "Reminder", ALL],
      [0x26, "ResponseRequested", ALL],
      [0x27, "Recurrences", ALL],
      [0x28, "Recurrence", ALL],
      [0x29, "Type", ALL],
      [0x2a, "Until", ALL],
      [0x2b, "Occurrences", ALL],
      [0x2c, "Interval", ALL],
      [0x2d, "DayOfWeek", ALL],
      [0x2e, "DayOfMonth", ALL],
      [0x2f, "WeekOfMonth", ALL],
      [0x30, "MonthOfYear", ALL],
      [0x31, "StartTime", ALL],
      [0x32, "Sensitivity", ALL],
      [0x33, "TimeZone", ALL],
      [0x34, "GlobalObjId", TO141],
      [0x35, "ThreadTopic", ALL],
      [0x36, "MIMEData", V25],
      [0x37, "MIMETruncated", V25],
      [0x38, "MIMESize", V25],
      [0x39, "InternetCPID", ALL],
      [0x3a, "Flag", FROM120],
      [0x3b, "Status", FROM120],
      [0x3c, "ContentClass", FROM120],
      [0x3d, "FlagType", FROM120],
      [0x3e, "CompleteTime", FROM120],
      [0x3f, "DisallowNewTimeProposal", FROM140],
    ],
  ],
  [
    3,
    "AirNotify",
    [
      // Tokens as listed by the first revisions of [MS-ASWBXML] (and libwbxml's ActiveSync table).
      [0x05, "Notify", RETIRED],
      [0x06, "Notification", RETIRED],
      [0x07, "Version", RETIRED],
      [0x08, "Lifetime", RETIRED],
      [0x09, "DeviceInfo", RETIRED],
      [0x0a, "Enable", RETIRED],
      [0x0b, "Folder", RETIRED],
      [0x0c, "ServerId", RETIRED],
      [0x0d, "DeviceAddress", RETIRED],
      [0x0e, "ValidCarrierProfiles", RETIRED],
      [0x0f, "CarrierProfile", RETIRED],
      [0x10, "Status", RETIRED],
      [0x11, "Responses", RETIRED],
      [0x12, "Devices", RETIRED],
      [0x13, "Device", RETIRED],
      [0x14, "Id", RETIRED],
      [0x15, "Expiry", RETIRED],
      [0x16, "NotifyGUID", RETIRED],
      [0x17, "DeviceFriendlyName", RETIRED],
    ],
  ],
  [
    4,
    "Calendar",
    [
      [0x05, "Timezone", ALL],
      [0x06, "AllDayEvent", ALL],
      [0x07, "Attendees", ALL],
      [0x08, "Attendee", ALL],
      [0x09, "Email", ALL],
      [0x0a, "Name", ALL],
      [0x0b, "Body", V25],
      [0x0c, "BodyTruncated", V25],
      [0x0d, "BusyStatus", ALL],
      [0x0e, "Categories", ALL],
      [0x0f, "Category", ALL],
      [0x10, "Rtf", RETIRED_25],
      [0x11, "DtStamp", ALL],
      [0x12, "EndTime", ALL],
      [0x13, "Exception", ALL],
      [0x14, "Exceptions", ALL],
      [0x15, "Deleted", ALL],
      [0x16, "ExceptionStartTime", TO141],
      [0x17, "Location", TO141],
      [0x18, "MeetingStatus", ALL],
      [0x19, "OrganizerEmail", ALL],
      [0x1a, "OrganizerName", ALL],
      [0x1b, "Recurrence", ALL],
      [0x1c, "Type", ALL],
      [0x1d, "Until", ALL],
      [0x1e, "Occurrences", ALL],
      [0x1f, "Interval", ALL],
      [0x20, "DayOfWeek", ALL],
      [0x21, "DayOfMonth", ALL],
      [0x22, "WeekOfMonth", ALL],
      [0x23, "MonthOfYear", ALL],
      [0x24, "Reminder", ALL],
      [0x25, "Sensitivity", ALL],
      [0x26, "Subject", ALL],
      [0x27, "StartTime", ALL],
      [0x28, "UID", ALL],
      [0x29, "AttendeeStatus", FROM120],
      [0x2a, "AttendeeType", FROM120],
      [0x33, "DisallowNewTimeProposal", FROM140],
      [0x34, "ResponseRequested", FROM140],
      [0x35, "AppointmentReplyTime", FROM140],
      [0x36, "ResponseType", FROM140],
      [0x37, "CalendarType", FROM140],
      [0x38, "IsLeapMonth", FROM140],
      [0x39, "FirstDayOfWeek", FROM141],
      [0x3a, "OnlineMeetingConfLink", FROM141],
      [0x3b, "OnlineMeetingExternalLink", FROM141],
      [0x3c, "ClientUid", FROM160],
    ],
  ],
  [
    5,
    "Move",
    [
      [0x05, "MoveItems", ALL],
      [0x06, "Move", ALL],
      [0x07, "SrcMsgId", ALL],
      [0x08, "SrcFldId", ALL],
      [0x09, "DstFldId", ALL],
      [0x0a, "Response", ALL],
      [0x0b, "Status", ALL],
      [0x0c, "DstMsgId", ALL],
    ],
  ],
  [
    6,
    "GetItemEstimate",
    [
      [0x05, "GetItemEstimate", ALL],
      [0x07, "Collections", ALL],
      [0x08, "Collection", ALL],
      [0x09, "Class", TO121],
      [0x0a, "CollectionId", ALL],
      [0x0c, "Estimate", ALL],
      [0x0d, "Response", ALL],
      [0x0e, "Status", ALL],
    ],
  ],
  [
    7,
    "FolderHierarchy",
    [
      [0x05, "Folders", TO121],
      [0x06, "Folder", TO121],
      [0x07, "DisplayName", ALL],
      [0x08, "ServerId", ALL],
      [0x09, "ParentId", ALL],
      [0x0a, "Type", ALL],
      [0x0c, "Status", ALL],
      [0x0e, "Changes", ALL],
      [0x0f, "Add", ALL],
      [0x10, "Delete", ALL],
      [0x11, "Update", ALL],
      [0x12, "SyncKey", ALL],
      [0x13, "FolderCreate", ALL],
      [0x14, "FolderDelete", ALL],
      [0x15, "FolderUpdate", ALL],
      [0x16, "FolderSync", ALL],
      [0x17, "Count", ALL],
    ],
  ],
  [
    8,
    "MeetingResponse",
    [
      [0x05, "CalendarId", ALL],
      [0x06, "CollectionId", ALL],
      [0x07, "MeetingResponse", ALL],
      [0x08, "RequestId", ALL],
      [0x09, "Request", ALL],
      [0x0a, "Result", ALL],
      [0x0b, "Status", ALL],
      [0x0c, "UserResponse", ALL],
      [0x0e, "InstanceId", FROM141],
      [0x10, "ProposedStartTime", V161],
      [0x11, "ProposedEndTime", V161],
      [0x12, "SendResponse", FROM160],
    ],
  ],
  [
    9,
    "Tasks",
    [
      [0x05, "Body", V25],
      [0x06, "BodySize", V25],
      [0x07, "BodyTruncated", V25],
      [0x08, "Categories", ALL],
      [0x09, "Category", ALL],
      [0x0a, "Complete", ALL],
      [0x0b, "DateCompleted", ALL],
      [0x0c, "DueDate", ALL],
      [0x0d, "UtcDueDate", ALL],
      [0x0e, "Importance", ALL],
      [0x0f, "Recurrence", ALL],
      [0x10, "Type", ALL],
      [0x11, "Start", ALL],
      [0x12, "Until", ALL],
      [0x13, "Occurrences", ALL],
      [0x14, "Interval", ALL],
      [0x15, "DayOfMonth", ALL],
      [0x16, "DayOfWeek", ALL],
      [0x17, "WeekOfMonth", ALL],
      [0x18, "MonthOfYear", ALL],
      [0x19, "Regenerate", ALL],
      [0x1a, "DeadOccur", ALL],
      [0x1b, "ReminderSet", ALL],
      [0x1c, "ReminderTime", ALL],
      [0x1d, "Sensitivity", ALL],
      [0x1e, "StartDate", ALL],
      [0x1f, "UtcStartDate", ALL],
      [0x20, "Subject", ALL],
      [0x21, "Rtf", RETIRED_25],
      [0x22, "OrdinalDate", FROM120],
      [0x23, "SubOrdinalDate", FROM120],
      [0x24, "CalendarType", FROM140],
      [0x25, "IsLeapMonth", FROM140],
      [0x26, "FirstDayOfWeek", FROM141],
    ],
  ],
  [
    10,
    "ResolveRecipients",
    [
      [0x05, "ResolveRecipients", ALL],
      [0x06, "Response", ALL],
      [0x07, "Status", ALL],
      [0x08, "Type", ALL],
      [0x09, "Recipient", ALL],
      [0x0a, "DisplayName", ALL],
      [0x0b, "EmailAddress", ALL],
      [0x0c, "Certificates", ALL],
      [0x0d, "Certificate", ALL],
      [0x0e, "MiniCertificate", ALL],
      [0x0f, "Options", ALL],
      [0x10, "To", ALL],
      [0x11, "CertificateRetrieval", ALL],
      [0x12, "RecipientCount", ALL],
      [0x13, "MaxCertificates", ALL],
      [0x14, "MaxAmbiguousRecipients", ALL],
      [0x15, "CertificateCount", ALL],
      [0x16, "Availability", FROM140],
      [0x17, "StartTime", FROM140],
      [0x18, "EndTime", FROM140],
      [0x19, "MergedFreeBusy", FROM140],
      [0x1a, "Picture", FROM141],
      [0x1b, "MaxSize", FROM141],
      [0x1c, "Data", FROM141],
      [0x1d, "MaxPictures", FROM141],
    ],
  ],
  [
    11,
    "ValidateCert",
    [
      [0x05, "ValidateCert", ALL],
      [0x06, "Certificates", ALL],
      [0x07, "Certificate", ALL],
      [0x08, "CertificateChain", ALL],
      [0x09, "CheckCRL", ALL],
      [0x0a, "Status", ALL],
    ],
  ],
  [
    12,
    "Contacts2",
    [
      [0x05, "CustomerId", ALL],
      [0x06, "GovernmentId", ALL],
      [0x07, "IMAddress", ALL],
      [0x08, "IMAddress2", ALL],
      [0x09, "IMAddress3", ALL],
      [0x0a, "ManagerName", ALL],
      [0x0b, "CompanyMainPhone", ALL],
      [0x0c, "AccountName", ALL],
      [0x0d, "NickName", ALL],
      [0x0e, "MMS", ALL],
    ],
  ],
  [
    13,
    "Ping",
    [
      [0x05, "Ping", ALL],
      [0x07, "Status", ALL],
      [0x08, "HeartbeatInterval", ALL],
      [0x09, "Folders", ALL],
      [0x0a, "Folder", ALL],
      [0x0b, "Id", ALL],
      [0x0c, "Class", ALL],
      [0x0d, "MaxFolders", ALL],
    ],
  ],
  [
    14,
    "Provision",
    [
      [0x05, "Provision", ALL],
      [0x06, "Policies", ALL],
      [0x07, "Policy", ALL],
      [0x08, "PolicyType", ALL],
      [0x09, "PolicyKey", ALL],
      [0x0a, "Data", ALL],
      [0x0b, "Status", ALL],
      [0x0c, "RemoteWipe", ALL],
      [0x0d, "EASProvisionDoc", FROM120],
      [0x0e, "DevicePasswordEnabled", FROM120],
      [0x0f, "AlphanumericDevicePasswordRequired", FROM120],
      [0x10, "RequireStorageCardEncryption", FROM121],
      [0x11, "PasswordRecoveryEnabled", FROM120],
      [0x13, "AttachmentsEnabled", FROM120],
      [0x14, "MinDevicePasswordLength", FROM120],
      [0x15, "MaxInactivityTimeDeviceLock", FROM120],
      [0x16, "MaxDevicePasswordFailedAttempts", FROM120],
      [0x17, "MaxAttachmentSize", FROM120],
      [0x18, "AllowSimpleDevicePassword", FROM120],
      [0x19, "DevicePasswordExpiration", FROM120],
      [0x1a, "DevicePasswordHistory", FROM120],
      [0x1b, "AllowStorageCard", FROM121],
      [0x1c, "AllowCamera", FROM121],
      [0x1d, "RequireDeviceEncryption", FROM121],
      [0x1e, "AllowUnsignedApplications", FROM121],
      [0x1f, "AllowUnsignedInstallationPackages", FROM121],
      [0x20, "MinDevicePasswordComplexCharacters", FROM121],
      [0x21, "AllowWiFi", FROM121],
      [0x22, "AllowTextMessaging", FROM121],
      [0x23, "AllowPOPIMAPEmail", FROM121],
      [0x24, "AllowBluetooth", FROM121],
      [0x25, "AllowIrDA", FROM121],
      [0x26, "RequireManualSyncWhenRoaming", FROM121],
      [0x27, "AllowDesktopSync", FROM121],
      [0x28, "MaxCalendarAgeFilter", FROM121],
      [0x29, "AllowHTMLEmail", FROM121],
      [0x2a, "MaxEmailAgeFilter", FROM121],
      [0x2b, "MaxEmailBodyTruncationSize", FROM121],
      [0x2c, "MaxEmailHTMLBodyTruncationSize", FROM121],
      [0x2d, "RequireSignedSMIMEMessages", FROM121],
      [0x2e, "RequireEncryptedSMIMEMessages", FROM121],
      [0x2f, "RequireSignedSMIMEAlgorithm", FROM121],
      [0x30, "RequireEncryptionSMIMEAlgorithm", FROM121],
      [0x31, "AllowSMIMEEncryptionAlgorithmNegotiation", FROM121],
      [0x32, "AllowSMIMESoftCerts", FROM121],
      [0x33, "AllowBrowser", FROM121],
      [0x34, "AllowConsumerEmail", FROM121],
      [0x35, "AllowRemoteDesktop", FROM121],
      [0x36, "AllowInternetSharing", FROM121],
      [0x37, "UnapprovedInROMApplicationList", FROM121],
      [0x38, "ApplicationName", FROM121],
      [0x39, "ApprovedApplicationList", FROM121],
      [0x3a, "Hash", FROM121],
      [0x3b, "AccountOnlyRemoteWipe", V161],
    ],
  ],
  [
    15,
    "Search",
    [
      [0x05, "Search", ALL],
      [0x07, "Store", ALL],
      [0x08, "Name", ALL],
      [0x09, "Query", ALL],
      [0x0a, "Options", ALL],
      [0x0b, "Range", ALL],
      [0x0c, "Status", ALL],
      [0x0d, "Response", ALL],
      [0x0e, "Result", ALL],
      [0x0f, "Properties", ALL],
      [0x10, "Total", ALL],
      [0x11, "EqualTo", FROM120],
      [0x12, "Value", FROM120],
      [0x13, "And", FROM120],
      [0x14, "Or", FROM120],
      [0x15, "FreeText", FROM120],
      [0x17, "DeepTraversal", FROM120],
      [0x18, "LongId", FROM120],
      [0x19, "RebuildResults", FROM120],
      [0x1a, "LessThan", FROM120],
      [0x1b, "GreaterThan", FROM120],
      [0x1e, "UserName", FROM121],
      [0x1f, "Password", FROM121],
      [0x20, "ConversationId", FROM140],
      [0x21, "Picture", FROM141],
      [0x22, "MaxSize", FROM141],
      [0x23, "MaxPictures", FROM141],
    ],
  ],
  [
    16,
    "GAL",
    [
      [0x05, "DisplayName", ALL],
      [0x06, "Phone", ALL],
      [0x07, "Office", ALL],
      [0x08, "Title", ALL],
      [0x09, "Company", ALL],
      [0x0a, "Alias", ALL],
      [0x0b, "FirstName", ALL],
      [0x0c, "LastName", ALL],
      [0x0d, "HomePhone", ALL],
      [0x0e, "MobilePhone", ALL],
      [0x0f, "EmailAddress", ALL],
      [0x10, "Picture", FROM141],
      [0x11, "Status", FROM141],
      [0x12, "Data", FROM141],
    ],
  ],
  [
    17,
    "AirSyncBase",
    [
      [0x05, "BodyPreference", FROM120],
      [0x06, "Type", FROM120],
      [0x07, "TruncationSize", FROM120],
      [0x08, "AllOrNone", FROM120],
      [0x0a, "Body", FROM120],
      [0x0b, "Data", FROM120],
      [0x0c, "EstimatedDataSize", FROM120],
      [0x0d, "Truncated", FROM120],
      [0x0e, "Attachments", FROM120],
      [0x0f, "Attachment", FROM120],
      [0x10, "DisplayName", FROM120],
      [0x11, "FileReference", FROM120],
      [0x12, "Method", FROM120],
      [0x13, "ContentId", FROM120],
      [0x14, "ContentLocation", FROM120],
      [0x15, "IsInline", FROM120],
      [0x16, "NativeBodyType", FROM120],
      [0x17, "ContentType", FROM120],
      [0x18, "Preview", FROM140],
      [0x19, "BodyPartPreference", FROM141],
      [0x1a, "BodyPart", FROM141],
      [0x1b, "Status", FROM141],
      [0x1c, "Add", FROM160],
      [0x1d, "Delete", FROM160],
      [0x1e, "ClientId", FROM160],
      [0x1f, "Content", FROM160],
      [0x20, "Location", FROM160],
      [0x21, "Annotation", FROM160],
      [0x22, "Street", FROM160],
      [0x23, "City", FROM160],
      [0x24, "State", FROM160],
      [0x25, "Country", FROM160],
      [0x26, "PostalCode", FROM160],
      [0x27, "Latitude", FROM160],
      [0x28, "Longitude", FROM160],
      [0x29, "Accuracy", FROM160],
      [0x2a, "Altitude", FROM160],
      [0x2b, "AltitudeAccuracy", FROM160],
      [0x2c, "LocationUri", FROM160],
      [0x2d, "InstanceId", FROM160],
    ],
  ],
  [
    18,
    "Settings",
    [
      [0x05, "Settings", FROM120],
      [0x06, "Status", FROM120],
      [0x07, "Get", FROM120],
      [0x08, "Set", FROM120],
      [0x09, "Oof", FROM120],
      [0x0a, "OofState", FROM120],
      [0x0b, "StartTime", FROM120],
      [0x0c, "EndTime", FROM120],
      [0x0d, "OofMessage", FROM120],
      [0x0e, "AppliesToInternal", FROM120],
      [0x0f, "AppliesToExternalKnown", FROM120],
      [0x10, "AppliesToExternalUnknown", FROM120],
      [0x11, "Enabled", FROM120],
      [0x12, "ReplyMessage", FROM120],
      [0x13, "BodyType", FROM120],
      [0x14, "DevicePassword", FROM120],
      [0x15, "Password", FROM120],
      [0x16, "DeviceInformation", FROM120],
      [0x17, "Model", FROM120],
      [0x18, "IMEI", FROM120],
      [0x19, "FriendlyName", FROM120],
      [0x1a, "OS", FROM120],
      [0x1b, "OSLanguage", FROM120],
      [0x1c, "PhoneNumber", FROM120],
      [0x1d, "UserInformation", FROM120],
      [0x1e, "EmailAddresses", FROM120],
      [0x1f, "SMTPAddress", FROM120],
      [0x20, "UserAgent", FROM121],
      [0x21, "EnableOutboundSMS", FROM140],
      [0x22, "MobileOperator", FROM140],
      [0x23, "PrimarySmtpAddress", FROM141],
      [0x24, "Accounts", FROM141],
      [0x25, "Account", FROM141],
      [0x26, "AccountId", FROM141],
      [0x27, "AccountName", FROM141],
      [0x28, "UserDisplayName", FROM141],
      [0x29, "SendDisabled", FROM141],
      [0x2b, "RightsManagementInformation", FROM141],
    ],
  ],
  [
    19,
    "DocumentLibrary",
    [
      [0x05, "LinkId", FROM120],
      [0x06, "DisplayName", FROM120],
      [0x07, "IsFolder", FROM120],
      [0x08, "CreationDate", FROM120],
      [0x09, "LastModifiedDate", FROM120],
      [0x0a, "IsHidden", FROM120],
      [0x0b, "ContentLength", FROM120],
      [0x0c, "ContentType", FROM120],
    ],
  ],
  [
    20,
    "ItemOperations",
    [
      [0x05, "ItemOperations", FROM120],
      [0x06, "Fetch", FROM120],
      [0x07, "Store", FROM120],
      [0x08, "Options", FROM120],
      [0x09, "Range", FROM120],
      [0x0a, "Total", FROM120],
      [0x0b, "Properties", FROM120],
      [0x0c, "Data", FROM120],
      [0x0d, "Status", FROM120],
      [0x0e, "Response", FROM120],
      [0x0f, "Version", FROM120],
      [0x10, "Schema", FROM120],
      [0x11, "Part", FROM120],
      [0x12, "EmptyFolderContents", FROM120],
      [0x13, "DeleteSubFolders", FROM120],
      [0x14, "UserName", FROM121],
      [0x15, "Password", FROM121],
      [0x16, "Move", FROM140],
      [0x17, "DstFldId", FROM140],
      [0x18, "ConversationId", FROM140],
      [0x19, "MoveAlways", FROM140],
    ],
  ],
  [
    21,
    "ComposeMail",
    [
      [0x05, "SendMail", FROM140],
      [0x06, "SmartForward", FROM140],
      [0x07, "SmartReply", FROM140],
      [0x08, "SaveInSentItems", FROM140],
      [0x09, "ReplaceMime", FROM140],
      [0x0b, "Source", FROM140],
      [0x0c, "FolderId", FROM140],
      [0x0d, "ItemId", FROM140],
      [0x0e, "LongId", FROM140],
      [0x0f, "InstanceId", FROM140],
      [0x10, "Mime", FROM140],
      [0x11, "ClientId", FROM140],
      [0x12, "Status", FROM140],
      [0x13, "AccountId", FROM141],
      [0x15, "Forwardees", FROM160],
      [0x16, "Forwardee", FROM160],
      [0x17, "Name", FROM160],
      [0x18, "Email", FROM160],
    ],
  ],
  [
    22,
    "Email2",
    [
      [0x05, "UmCallerID", FROM140],
      [0x06, "UmUserNotes", FROM140],
      [0x07, "UmAttDuration", FROM140],
      [0x08, "UmAttOrder", FROM140],
      [0x09, "ConversationId", FROM140],
      [0x0a, "ConversationIndex", FROM140],
      [0x0b, "LastVerbExecuted", FROM140],
      [0x0c, "LastVerbExecutionTime", FROM140],
      [0x0d, "ReceivedAsBcc", FROM140],
      [0x0e, "Sender", FROM140],
      [0x0f, "CalendarType", FROM140],
      [0x10, "IsLeapMonth", FROM140],
      [0x11, "AccountId", FROM141],
      [0x12, "FirstDayOfWeek", FROM141],
      [0x13, "MeetingMessageType", FROM141],
      [0x15, "IsDraft", FROM160],
      [0x16, "Bcc", FROM160],
      [0x17, "Send", FROM160],
    ],
  ],
  [
    23,
    "Notes",
    [
      [0x05, "Subject", FROM140],
      [0x06, "MessageClass", FROM140],
      [0x07, "LastModifiedDate", FROM140],
      [0x08, "Categories", FROM140],
      [0x09, "Category", FROM140],
    ],
  ],
  [
    24,
    "RightsManagement",
    [
      [0x05, "RightsManagementSupport", FROM141],
      [0x06, "RightsManagementTemplates", FROM141],
      [0x07, "RightsManagementTemplate", FROM141],
      [0x08, "RightsManagementLicense", FROM141],
      [0x09, "EditAllowed", FROM141],
      [0x0a, "ReplyAllowed", FROM141],
      [0x0b, "ReplyAllAllowed", FROM141],
      [0x0c, "ForwardAllowed", FROM141],
      [0x0d, "ModifyRecipientsAllowed", FROM141],
      [0x0e, "ExtractAllowed", FROM141],
      [0x0f, "PrintAllowed", FROM141],
      [0x10, "ExportAllowed", FROM141],
      [0x11, "ProgrammaticAccessAllowed", FROM141],
      [0x12, "Owner", FROM141],
      [0x13, "ContentExpiryDate", FROM141],
      [0x14, "TemplateID", FROM141],
      [0x15, "TemplateName", FROM141],
      [0x16, "TemplateDescription", FROM141],
      [0x17, "ContentOwner", FROM141],
      [0x18, "RemoveRightsManagementProtection", FROM141],
    ],
  ],
  [
    25,
    "Find",
    [
      [0x05, "Find", V161],
      [0x06, "SearchId", V161],
      [0x07, "ExecuteSearch", V161],
      [0x08, "MailBoxSearchCriterion", V161],
      [0x09, "Query", V161],
      [0x0a, "Status", V161],
      [0x0b, "FreeText", V161],
      [0x0c, "Options", V161],
      [0x0d, "Range", V161],
      [0x0e, "DeepTraversal", V161],
      [0x11, "Response", V161],
      [0x12, "Result", V161],
      [0x13, "Properties", V161],
      [0x14, "Preview", V161],
      [0x15, "HasAttachments", V161],
      [0x16, "Total", V161],
      [0x17, "DisplayCc", V161],
      [0x18, "DisplayBcc", V161],
      [0x19, "GalSearchCriterion", V161],
      [0x20, "MaxPictures", V161],
      [0x21, "MaxSize", V161],
      [0x22, "Picture", V161],
    ],
  ],
];

export interface CodePageTag {
  readonly page: number;
  readonly ns: string;
  readonly name: string;
  readonly token: number;
  /** Protocol versions listing this tag, oldest first; empty for the retired AirNotify page. */
  readonly versions: readonly ProtocolVersion[];
}

export interface CodePage {
  readonly page: number;
  readonly ns: string;
  readonly tags: readonly CodePageTag[];
}

const versionsOf = (mask: number): ProtocolVersion[] => PROTOCOL_VERSIONS.filter((_, i) => mask & (1 << i));

/** Every code page, by page number (0–25). */
export const CODE_PAGES: readonly CodePage[] = PAGES.map(([page, ns, rows]) => ({
  page,
  ns,
  tags: rows.map(([token, name, mask]) => ({ page, ns, name, token, versions: versionsOf(mask) })),
}));

export const MAX_PAGE = CODE_PAGES.length - 1;

// Decode table: index (page << 6) | token → tag; tokens are the low 6 bits of a tag byte.
const byToken: (CodePageTag | undefined)[] = new Array((MAX_PAGE + 1) << 6).fill(undefined);
// Encode table: namespace → tag name → tag.
const byName = new Map<string, Map<string, CodePageTag>>();
for (const p of CODE_PAGES) {
  const names = new Map<string, CodePageTag>();
  for (const t of p.tags) {
    byToken[(p.page << 6) | t.token] = t;
    names.set(t.name, t);
  }
  byName.set(p.ns, names);
}

/** Tag for a code page and token (token without the content/attribute bits), or undefined. */
export function tagByToken(page: number, token: number): CodePageTag | undefined {
  return page >= 0 && page <= MAX_PAGE && token >= 0 && token < 64 ? byToken[(page << 6) | token] : undefined;
}

/** Tag for a namespace (code page name) and tag name, or undefined. */
export function tagByName(ns: string, name: string): CodePageTag | undefined {
  return byName.get(ns)?.get(name);
}

/** The tags of one namespace by name (for hot loops that look up many names in the same namespace). */
export function tagsOfNamespace(ns: string): ReadonlyMap<string, CodePageTag> | undefined {
  return byName.get(ns);
}

export function pageOfNamespace(ns: string): number | undefined {
  return byName.get(ns)?.values().next().value?.page;
}

export function namespaceOfPage(page: number): string | undefined {
  return CODE_PAGES[page]?.ns;
}

/** Protocol versions in which [MS-ASWBXML] lists this tag; undefined for an unknown tag. */
export function tagVersions(ns: string, name: string): readonly ProtocolVersion[] | undefined {
  return tagByName(ns, name)?.versions;
}

/** True when the tag exists in the given protocol version's code pages. */
export function tagInVersion(ns: string, name: string, version: ProtocolVersion): boolean {
  return tagByName(ns, name)?.versions.includes(version) ?? false;
}

// Other spellings of tag names found in EAS XML in the wild, accepted when reading XML (fromXml) and mapped to
// the spec's name. Never produced. "libwbxml" = Debian libwbxml2 0.11.8 (wbxml2xml -l ACTIVESYNC);
// "XSD" = the Interop-TestSuites schemas in ../shared/conformance/xsd.
const ALIASES: Record<string, Record<string, string>> = {
  Contacts: {
    AssistantTelephoneNumber: "AssistantPhoneNumber", // libwbxml
    BusinessCity: "BusinessAddressCity", // libwbxml, and likewise for the other *Address* parts
    BusinessCountry: "BusinessAddressCountry",
    BusinessPostalCode: "BusinessAddressPostalCode",
    BusinessState: "BusinessAddressState",
    BusinessStreet: "BusinessAddressStreet",
    HomeCity: "HomeAddressCity",
    HomeCountry: "HomeAddressCountry",
    HomePostalCode: "HomeAddressPostalCode",
    HomeState: "HomeAddressState",
    HomeStreet: "HomeAddressStreet",
    OtherCity: "OtherAddressCity",
    OtherCountry: "OtherAddressCountry",
    OtherPostalCode: "OtherAddressPostalCode",
    OtherState: "OtherAddressState",
    OtherStreet: "OtherAddressStreet",
  },
  Email: {
    AttOId: "Att0Id", // libwbxml (letter O for digit 0)
    "Reply-To": "ReplyTo", // libwbxml
    DTStamp: "DtStamp", // libwbxml
    FlagStatus: "Status", // libwbxml
    Recurrence_Type: "Type", // libwbxml prefixes the recurrence children with "Recurrence_"
    Recurrence_Until: "Until",
    Recurrence_Occurrences: "Occurrences",
    Recurrence_Interval: "Interval",
    Recurrence_DayOfWeek: "DayOfWeek",
    Recurrence_DayOfMonth: "DayOfMonth",
    Recurrence_WeekOfMonth: "WeekOfMonth",
    Recurrence_MonthOfYear: "MonthOfYear",
  },
  AirNotify: { LifeTime: "Lifetime" }, // libwbxml
  Calendar: {
    TimeZone: "Timezone", // libwbxml
    Attendee_Email: "Email", // libwbxml
    Attendee_Name: "Name",
    Attendee_Status: "AttendeeStatus",
    Attendee_Type: "AttendeeType",
    DTStamp: "DtStamp",
    Exception_Deleted: "Deleted",
    Exception_StartTime: "ExceptionStartTime",
    Organizer_Email: "OrganizerEmail",
    Organizer_Name: "OrganizerName",
    Recurrence_Type: "Type",
    Recurrence_Until: "Until",
    Recurrence_Occurrences: "Occurrences",
    Recurrence_Interval: "Interval",
    Recurrence_DayOfWeek: "DayOfWeek",
    Recurrence_DayOfMonth: "DayOfMonth",
    Recurrence_WeekOfMonth: "WeekOfMonth",
    Recurrence_MonthOfYear: "MonthOfYear",
  },
  Tasks: {
    UTCDueDate: "UtcDueDate", // libwbxml
    UTCStartDate: "UtcStartDate",
    Recurrence_Type: "Type",
    Recurrence_Start: "Start",
    Recurrence_Until: "Until",
    Recurrence_Occurrences: "Occurrences",
    Recurrence_Interval: "Interval",
    Recurrence_DayOfMonth: "DayOfMonth",
    Recurrence_DayOfWeek: "DayOfWeek",
    Recurrence_WeekOfMonth: "WeekOfMonth",
    Recurrence_MonthOfYear: "MonthOfYear",
    Recurrence_Regenerate: "Regenerate",
    Recurrence_DeadOccur: "DeadOccur",
  },
  ValidateCert: { CheckCrl: "CheckCRL" }, // XSD
  Provision: { DeviceEncryptionEnabled: "RequireStorageCardEncryption" }, // libwbxml (the 12.0 name of token 0x10)
  Settings: {
    SmtpAddress: "SMTPAddress", // libwbxml
    ihsManagementInformation: "RightsManagementInformation", // libwbxml (truncated name)
  },
  ComposeMail: {
    MIME: "Mime", // libwbxml
    ForwardeeName: "Name", // libwbxml and XSD
    ForwardeeEmail: "Email",
  },
  RightsManagement: {
    RMOwner: "Owner", // libwbxml
    RemoveRightsManagementDistribution: "RemoveRightsManagementProtection", // libwbxml
  },
  Find: { GALSearchCriterion: "GalSearchCriterion" }, // [MS-ASCMD] §2.2.3 spelling
};

/** A tag by its spec name or by one of the known other spellings (see ALIASES); undefined when unknown. */
export function tagByNameOrAlias(ns: string, name: string): CodePageTag | undefined {
  const tags = byName.get(ns);
  if (tags === undefined) return undefined;
  return tags.get(name) ?? (Object.hasOwn(ALIASES[ns] ?? {}, name) ? tags.get(ALIASES[ns][name]) : undefined);
}

/** The known other spellings of tag names, per namespace (alias → spec name). */
export const TAG_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = ALIASES;

// Other spellings of namespaces: libwbxml writes "AirSync:" (trailing colon) and "Gal"; Z-Push logs use the
// pre-12.0 POOM* names.
const NAMESPACE_ALIASES: Record<string, string> = {
  Gal: "GAL",
  POOMMAIL: "Email",
  POOMMAIL2: "Email2",
  POOMCAL: "Calendar",
  POOMCONTACTS: "Contacts",
  POOMCONTACTS2: "Contacts2",
  POOMTASKS: "Tasks",
};

/** The code page name for an XML namespace string, accepting the spellings above; undefined when unknown. */
export function namespaceFromXml(uri: string): string | undefined {
  const bare = uri.endsWith(":") ? uri.slice(0, -1) : uri;
  if (byName.has(bare)) return bare;
  return Object.hasOwn(NAMESPACE_ALIASES, bare) ? NAMESPACE_ALIASES[bare] : undefined;
}

/** Records as ConnectWise's REST API returns them (the subset of fields a fake needs). */

export interface FakeCwReference {
  readonly id: number;
  readonly name?: string;
  readonly identifier?: string;
}

export interface FakeCwTicket {
  readonly id: number;
  readonly summary: string;
  readonly contact?: FakeCwReference;
  readonly contactName?: string;
  readonly contactEmailAddress?: string;
  readonly company?: FakeCwReference;
  readonly status?: FakeCwReference;
  readonly board?: FakeCwReference;
  readonly closedFlag?: boolean;
}

export interface FakeCwCommunicationItem {
  readonly id: number;
  readonly type: FakeCwReference;
  readonly value: string;
  readonly defaultFlag: boolean;
  readonly communicationType: "Email" | "Phone" | "Fax";
}

export interface FakeCwContact {
  readonly id: number;
  readonly firstName: string;
  readonly lastName?: string;
  readonly company?: FakeCwReference;
  readonly communicationItems?: readonly FakeCwCommunicationItem[];
}

export interface FakeCwMember {
  readonly id: number;
  readonly identifier: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly primaryEmail?: string;
  readonly inactiveFlag?: boolean;
}

/** A ServiceNote as ConnectWise stores and returns it. */
export interface FakeCwNote {
  readonly id: number;
  readonly ticketId: number;
  readonly text: string;
  readonly detailDescriptionFlag: boolean;
  readonly internalAnalysisFlag: boolean;
  readonly resolutionFlag: boolean;
  readonly internalFlag: boolean;
  readonly externalFlag: boolean;
  readonly member: FakeCwReference;
  readonly dateCreated: string;
  readonly createdBy: string;
}

const email = (id: number, value: string, defaultFlag = true): FakeCwCommunicationItem => ({
  id,
  type: { id: 1, name: "Email" },
  value,
  defaultFlag,
  communicationType: "Email",
});

/** A small instance: one ticket whose email is on the ticket, one whose email is only on the contact. */
export const FAKE_CW_DATA = {
  tickets: [
    { id: 7001, summary: "Password reset", contact: { id: 301, name: "Jane Doe" }, contactName: "Jane Doe", contactEmailAddress: "jane.doe@contoso.example", company: { id: 19, identifier: "Contoso", name: "Contoso" }, status: { id: 42, name: "Verify caller" } },
    { id: 7002, summary: "MFA reset", contact: { id: 302, name: "Sam Smith" }, contactName: "Sam Smith", company: { id: 19, identifier: "Contoso", name: "Contoso" }, status: { id: 1, name: "New" } },
    { id: 7003, summary: "No contact", company: { id: 19, identifier: "Contoso", name: "Contoso" } },
  ] satisfies FakeCwTicket[],
  contacts: [
    { id: 301, firstName: "Jane", lastName: "Doe", communicationItems: [email(1, "jane.doe@contoso.example")] },
    {
      id: 302,
      firstName: "Sam",
      lastName: "Smith",
      communicationItems: [
        { id: 2, type: { id: 2, name: "Direct" }, value: "4255550133", defaultFlag: true, communicationType: "Phone" },
        email(3, "sam.old@contoso.example", false),
        email(4, "sam.smith@contoso.example", true),
      ],
    },
  ] satisfies FakeCwContact[],
  members: [
    { id: 151, identifier: "jtech", firstName: "Jamie", lastName: "Tech", primaryEmail: "jamie@msp.example" },
    { id: 152, identifier: "VerityAPI", firstName: "Verity", lastName: "API" },
  ] satisfies FakeCwMember[],
} as const;

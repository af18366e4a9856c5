/** Records the fake HaloPSA holds, in Halo's own field names. Extra fields are passed through. */

export interface FakeHaloTicket {
  id: number;
  summary?: string;
  details?: string;
  user_id?: number;
  user_name?: string;
  client_id?: number;
  site_id?: number;
  agent_id?: number;
  hasbeenclosed?: boolean;
  [extra: string]: unknown;
}

export interface FakeHaloUser {
  id: number;
  name: string;
  emailaddress?: string;
  networklogin?: string;
  client_id: number;
  site_id?: number;
  azureoid?: string;
  inactive?: boolean;
  [extra: string]: unknown;
}

export interface FakeHaloAgent {
  id: number;
  name: string;
  email?: string;
  [extra: string]: unknown;
}

export interface FakeHaloOutcome {
  id: number;
  name: string;
}

/** An action created through `POST /Actions`, as the fake stored it. */
export interface FakeHaloAction {
  readonly id: number;
  readonly ticket_id: number;
  readonly outcome_id: number;
  readonly outcome: string;
  readonly hiddenfromuser: boolean;
  readonly sendemail: boolean;
  readonly note_html: string;
  readonly note: string;
  readonly who: string;
  readonly datetime: string;
}

/** A small instance: two clients, a decoy user whose address only contains the real one. */
export const FAKE_HALO_DATA = {
  tickets: [
    {
      id: 4242,
      summary: "Password reset for Jane",
      details: "<p>Caller says she lost her phone</p>",
      user_id: 101,
      user_name: "Jane Doe",
      client_id: 12,
      site_id: 31,
      agent_id: 3,
      hasbeenclosed: false,
      status_id: 1,
      tickettype_id: 1,
      priority_id: 4,
      dateoccurred: "2026-11-23T08:55:00",
      customfields: [{ id: 150, name: "CFVerified", value: "" }],
    },
    { id: 4243, summary: "Sparse ticket" },
  ] satisfies FakeHaloTicket[],
  users: [
    { id: 101, name: "Jane Doe", emailaddress: "Jane.Doe@acme.example", client_id: 12, site_id: 31, azureoid: "7d3e2c1a-0000-4000-8000-000000000101" },
    { id: 102, name: "Jane Doe (old)", emailaddress: "jane.doe@acme.example", client_id: 12, site_id: 31, inactive: true },
    { id: 103, name: "Decoy", emailaddress: "xjane.doe@acme.example.evil", client_id: 12, site_id: 31 },
    { id: 201, name: "Jane Doe", emailaddress: "jane.doe@acme.example", client_id: 14, site_id: 40 },
    { id: 104, name: "No Mail", networklogin: "jane.doe@acme.example", client_id: 12 },
  ] satisfies FakeHaloUser[],
  agents: [{ id: 3, name: "Terry Tech", email: "terry@msp.example", is_disabled: false }] satisfies FakeHaloAgent[],
  outcomes: [
    { id: 7, name: "Private Note" },
    { id: 2, name: "Email User" },
  ] satisfies FakeHaloOutcome[],
};

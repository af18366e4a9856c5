/** The test directory: every user exercises one factor situation. Numbers are fiction ranges. */
export const TEST_USERS = {
  jane: { id: "u-1", upn: "jane@acme.test", mobile: "+447700900001", altEmail: "jane.alt@mail.test" },
  sam: { id: "u-2", upn: "sam@acme.test", mobile: "+447700900002" },
  alex: { id: "u-3", upn: "alex@acme.test", office: "+442079460003" },
  chris: { id: "u-4", upn: "chris@acme.test", mobile: "+12025550104", alternateMobile: "+12025550105" },
  nobody: { id: "u-5", upn: "nobody@acme.test" },
} as const;

export const TEST_DIRECTORY_YAML = `
users:
  - id: u-1
    upn: Jane@Acme.test
    displayName: Jane Doe
    phones: { mobile: "+44 7700 900001" }
    alternateEmails: [jane.alt@mail.test]
    providerIds: { simulated: jane }
  - id: u-2
    upn: sam@acme.test
    displayName: Sam Patel
    phones: { mobile: "+44 7700 900002" }
    privileged: true
  - id: u-3
    upn: alex@acme.test
    displayName: Alex Kim
    phones: { office: "+44 20 7946 0003" }
  - id: u-4
    upn: chris@acme.test
    displayName: Chris Lee
    phones: { mobile: "+1 202 555 0104", alternateMobile: "+1 (202) 555-0105" }
  - id: u-5
    upn: nobody@acme.test
    displayName: No Body
`;

/** A second client organisation, for tests of tenant boundaries. */
export const GLOBEX_USERS = {
  hank: { id: "g-1", upn: "hank@globex.test", mobile: "+447700900101" },
} as const;

export const GLOBEX_DIRECTORY_YAML = `
users:
  - id: g-1
    upn: hank@globex.test
    displayName: Hank Scorpio
    phones: { mobile: "+44 7700 900101" }
`;

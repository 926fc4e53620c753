/**
 * Word lists for the sales side of synthetic data: deals, tasks, notes and the calls, meetings
 * and emails of the interaction log. Templates name their slots in braces; the generators fill
 * `{first}`, `{last}`, `{company}`, `{topic}`, `{competitor}`, `{domain}`, `{token}`, `{slug}`,
 * `{event}`, `{day}`, `{deal}`.
 */

/** What a deal is for, and how its amount scales (median in the currency's major unit). */
export const SALES_OFFERINGS: readonly (readonly [string, number])[] = [
  ["Annual subscription", 9_000],
  ["Enterprise plan", 48_000],
  ["Pilot", 2_500],
  ["Renewal", 12_000],
  ["Expansion: 25 seats", 15_000],
  ["Expansion: 100 seats", 52_000],
  ["Onboarding package", 4_000],
  ["Support contract", 6_500],
  ["Consulting retainer", 18_000],
  ["Website redesign", 14_000],
  ["Data migration", 8_500],
  ["Training workshop", 3_000],
  ["Hardware refresh", 26_000],
  ["Spring order", 5_500],
  ["Wholesale order", 11_000],
  ["Multi-year agreement", 90_000],
  ["Upgrade to Pro", 3_600],
  ["Implementation services", 21_000],
  ["Catering contract", 7_500],
  ["Maintenance plan", 4_800],
];

export const PARTNER_OFFERINGS: readonly (readonly [string, number])[] = [
  ["Reseller agreement", 20_000],
  ["Referral partnership", 5_000],
  ["Co-marketing campaign", 8_000],
  ["Integration partnership", 15_000],
  ["Distribution deal", 35_000],
  ["Technology alliance", 25_000],
  ["Joint webinar series", 3_000],
];

/** Deal tags with weights. */
export const DEAL_TAGS: readonly (readonly [string, number])[] = [
  ["inbound", 25],
  ["outbound", 20],
  ["referral", 10],
  ["upsell", 10],
  ["renewal", 12],
  ["enterprise", 6],
  ["smb", 10],
  ["urgent", 4],
  ["q-end", 5],
];

export const LOST_REASONS: readonly (readonly [string, number])[] = [
  ["Price", 28],
  ["Timing", 18],
  ["Went with a competitor", 20],
  ["No budget", 15],
  ["No decision", 10],
  ["Lost contact", 8],
  ["Missing feature", 6],
  ["Chose to build in-house", 3],
];

export const COMPETITORS = [
  "Northwind",
  "Globex",
  "Initech",
  "Umbrella Supply",
  "Stark Logistics",
  "Contoso",
  "Vandelay Industries",
  "Hooli",
];

export const TOPICS = [
  "pricing",
  "the renewal",
  "onboarding",
  "the spring order",
  "delivery times",
  "an open invoice",
  "integration with their ERP",
  "volume discounts",
  "contract terms",
  "the new catalog",
  "a support issue",
  "training for their team",
  "payment terms",
  "the pilot results",
  "opening a second location",
  "shipping costs",
  "the product roadmap",
  "next year's budget",
  "exporting their data",
  "a referral",
  "the proposal",
  "a price increase",
  "adding more seats",
  "their holiday schedule",
  "a late delivery",
  "the security questionnaire",
  "custom packaging",
  "a case study",
];

export const EVENTS = [
  "trade fair in Berlin",
  "SaaStr meetup",
  "regional retail expo",
  "chamber of commerce breakfast",
  "our spring webinar",
  "Web Summit",
  "a partner dinner",
  "the coffee industry show",
];

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

/**
 * Summaries of logged calls, meetings and emails, by kind and direction. A template that
 * names `{company}` is only used for people who work somewhere.
 */
export const ACTIVITY_SUMMARIES: {
  readonly [K in "call" | "meeting" | "email"]: { readonly inbound: string[]; readonly outbound: string[] };
} = {
  call: {
    outbound: [
      "Discovery call with {first}: current setup and {topic}",
      "Left a voicemail for {first} about {topic}",
      "Follow-up call with {first} on {topic}",
      "Called {first} to check in; all good, will revisit {topic} next month",
      "Walked {first} through {topic}",
      "Quick call with {first} re {topic}; sending a summary",
      "Called {company} about {topic}; {first} wants a written offer",
      "No answer, tried {first} again about {topic}",
      "Check-in call with {first} after onboarding",
    ],
    inbound: [
      "{first} called about {topic}",
      "{first} called with questions on {topic}",
      "Inbound call: {first} from {company} asking about {topic}",
      "{first} called to confirm {topic}",
      "{first} rang to complain about {topic}; escalated",
    ],
  },
  meeting: {
    outbound: [
      "Demo for the {company} team",
      "Quarterly business review with {company}",
      "Onboarding session with {first}",
      "Lunch with {first}: {topic}",
      "Workshop on {topic} with {first}",
      "Kick-off meeting with {company}",
      "Video call with {first} to go through {topic}",
      "On-site visit at {company}",
    ],
    inbound: [
      "{first} asked to meet about {topic}",
      "{first} booked a slot to discuss {topic}",
      "Meeting requested by {company} about {topic}",
      "{first} dropped by the office to talk about {topic}",
    ],
  },
  email: {
    outbound: [
      "Sent {first} the pricing overview",
      "Sent the proposal to {first}",
      "Intro email to {first}",
      "Followed up with {first} on {topic}",
      "Sent {first} a recap of our call on {topic}",
      "Shared a case study with {first}",
      "Sent {company} the updated contract",
      "Reminder to {first} about {topic}",
      "Newsletter follow-up to {first}: {topic}",
    ],
    inbound: [
      "Re: {topic}",
      "{first} asked about {topic}",
      "{first} replied: interested, wants to know more about {topic}",
      "{first} sent over questions on {topic}",
      "Out-of-office reply from {first}",
      "{first} forwarded the thread on {topic} to a colleague",
      "{company} accounts payable wrote about {topic}",
    ],
  },
};

export const CONTACT_TASKS = [
  "Call {first} back",
  "Send {first} the pricing sheet",
  "Follow up with {first} {last}",
  "Book a demo with {first}",
  "Send a thank-you note to {first}",
  "Ask {first} for a referral",
  "Check in with {first} after onboarding",
  "Update {first}'s contact details",
  "Send {first} the case study",
  "Invite {first} to the webinar",
  "Reply to {first} about {topic}",
];

export const DEAL_TASKS = [
  "Send proposal for {deal}",
  "Prepare contract for {company}",
  "Schedule negotiation call with {first}",
  "Get legal sign-off for {deal}",
  "Follow up on the proposal with {first}",
  "Confirm budget with {first}",
  "Prepare demo for {company}",
  "Chase the signed contract from {first}",
  "Send revised quote to {first}",
  "Book kick-off with {company}",
];

export const CONTACT_NOTES = [
  "{first} prefers email over phone calls.",
  "Met {first} at the {event}; interested in {topic}.",
  "{first} is on holiday until the end of the month, follow up after that.",
  "{first} is a strong champion but not the decision maker.",
  "Asked about {topic}. Sent over the overview.",
  "{first} mentioned they are also talking to {competitor}.",
  "Best time to reach {first}: {day} mornings.",
  "{first} was happy with the last delivery.",
  "Wants to revisit {topic} next quarter.",
  "{first} moved to a new role, still our main contact.",
  "Not interested right now; keep in the newsletter.",
  "{first} asked us not to call before 10am.",
];

export const DEAL_NOTES = [
  "Budget is approved for next quarter.",
  "Decision expected by {day} next week.",
  "{first} needs sign-off from their CFO.",
  "They are comparing us with {competitor}.",
  "Asked for a 10% discount on the annual plan.",
  "Legal has the contract; redlines expected soon.",
  "Main concern is {topic}.",
  "Procurement wants three references.",
  "Pilot went well, {first} is pushing internally.",
  "Timeline slipped because of {topic}.",
];

export const COMPANY_NOTES = [
  "Head office moved last year; billing address updated.",
  "They run on a tight budget, pay by bank transfer only.",
  "Long-time customer, always pays on time.",
  "Seasonal business: most orders in spring.",
  "Uses {competitor} for part of their needs.",
  "Opening a second location soon.",
  "New purchasing manager since the last review.",
  "Invoices go to accounts payable, not to {first}.",
];

/** Note sentences with a link; `{slug}` is the person's name as a URL path, `{token}` random letters. */
export const LINK_SENTENCES = [
  "Slides from the call: https://docs.google.com/presentation/d/{token}",
  "LinkedIn: https://www.linkedin.com/in/{slug}",
  "Their pricing page: https://{domain}/pricing",
  "Recording: https://zoom.us/rec/share/{token}",
  "Signed NDA: https://app.docusign.com/documents/details/{token}",
  "Booked via https://calendly.com/{slug}/30min",
  "Spec sheet: https://{domain}/downloads/specs.pdf",
];

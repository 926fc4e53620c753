-- The realistic mix: a team working through the day. Mostly reading (lists, records, the board,
-- search, segments), about one request in five a write (new contacts and deals, edits, deal
-- moves on the board). Weights are relative. Run: crm loadtest --scenario mixed
SCENARIO = {
  weights = {
    list_contacts = 14,
    list_companies = 5,
    deal_board = 8,
    open_contact = 14,
    open_company = 6,
    open_deal = 8,
    search = 12,
    tasks = 4,
    run_segment = 8,
    create_contact = 5,
    edit_contact = 7,
    create_deal = 2,
    move_deal = 7,
  },
}
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib/crm.lua")

-- Read-only: lists, records, the board, search. Nothing is written, so it is safe against any
-- workspace. Weights are relative. Run: crm loadtest --scenario browse
SCENARIO = {
  weights = {
    list_contacts = 20,
    list_companies = 8,
    deal_board = 10,
    open_contact = 22,
    open_company = 10,
    open_deal = 12,
    search = 18,
  },
}
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib/crm.lua")

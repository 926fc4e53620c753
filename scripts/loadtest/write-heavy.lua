-- An import-like day: half the requests write (creates, edits, deal moves), the rest read what
-- is being written. Weights are relative. Run: crm loadtest --scenario write-heavy
SCENARIO = {
  weights = {
    list_contacts = 12,
    deal_board = 8,
    open_contact = 15,
    open_deal = 5,
    search = 10,
    create_contact = 15,
    edit_contact = 15,
    create_deal = 5,
    move_deal = 15,
  },
}
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "lib/crm.lua")

-- Why a deal was lost, as the user wrote it when marking it lost from the
-- board's deal drawer. A column rather than only event data so reports can
-- group and count reasons without parsing JSON. NULL while the deal is not
-- in a lost stage (moving it out clears it). Keep in step with
-- ../postgres/0014_deal_lost_reason.sql (a test compares them).
ALTER TABLE deals ADD COLUMN lost_reason TEXT;

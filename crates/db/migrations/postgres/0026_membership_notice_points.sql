-- Membership "expiring" notices at every point a workflow asks for (issue
-- 17): the check writes membership.expiring when days_left falls to or
-- below a notice point (7 days, and each active subscription_expiring
-- workflow's days) not announced yet in this period; this column holds
-- the days_left of the last notice for expiring_notice_for's period.
ALTER TABLE contact_memberships ADD COLUMN expiring_notice_days INTEGER;

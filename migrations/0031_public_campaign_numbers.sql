-- A campaign's public number (公示编号) is given when it is published (its population frozen and its sample
-- drawn), from a counter row taken in the publishing transaction, as registration numbers are (reg_counters):
-- a campaign refused on the way (a point that does not exist, an empty population) takes its increment back
-- with it, and a draft never confirmed has none, so the published series has no gaps. The public pages and API
-- address a campaign by this number; the staff's pages keep its id. A campaign published before keeps the number
-- it was published under (its id), so no published address changes.
ALTER TABLE campaigns ADD COLUMN public_no integer UNIQUE;
UPDATE campaigns SET public_no = id WHERE status <> 'draft';
ALTER TABLE campaigns ADD CONSTRAINT campaigns_published_numbered CHECK ((status = 'draft') = (public_no IS NULL));

CREATE TABLE campaign_numbers (
    one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    last_no integer NOT NULL
);
INSERT INTO campaign_numbers (last_no) SELECT coalesce(max(public_no), 0) FROM campaigns;

-- The detectors read amounts as float8 and a filing's peer group (kind × field × software) as one integer
-- (detection/loader.py). Stored so, a scan's read converts nothing per row: the numeric → float8 casts and the two
-- array_position calls per row were a quarter of PostgreSQL's work in reading the neighbourhood of an incremental
-- scan. float8 holds every numeric(16,2) amount as the cast did. The kinds and fields are numbered from 1 in the
-- order of techreg.detection.columns KINDS and DOMAINS (the filing format's enumerations);
-- tests/test_loader.py checks this expression against the code's for every kind, field and software.
ALTER TABLE filing_facts
    ALTER COLUMN amount TYPE float8,
    ALTER COLUMN tech_amount TYPE float8,
    ADD COLUMN peer_group integer GENERATED ALWAYS AS (
        array_position(ARRAY['development', 'transfer', 'license', 'consulting', 'service'], kind) * 32
        + array_position(ARRAY['electronic_information', 'advanced_manufacturing', 'aerospace', 'modern_transport',
                                     'agriculture', 'new_materials', 'new_energy', 'environment',
                                     'nuclear', 'biomedicine', 'urban_social'], domain) * 2
        + software::int) STORED;

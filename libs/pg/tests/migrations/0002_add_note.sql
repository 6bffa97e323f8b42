-- The default holds characters that must survive embedding byte for byte: ' " \ )" )edfleet" é ✓
ALTER TABLE items ADD COLUMN note text NOT NULL DEFAULT 'it''s "quoted" \ )" é ✓';

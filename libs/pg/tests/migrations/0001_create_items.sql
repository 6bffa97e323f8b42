-- Items: the table the pg library's own tests migrate.
CREATE TABLE items (
  id bigserial PRIMARY KEY,
  name text NOT NULL
);

-- Version 10 after version 2: order is numeric. (No trailing newline in this file.)
CREATE INDEX items_name ON items (name);
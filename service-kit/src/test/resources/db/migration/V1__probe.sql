-- A table for the kit's database tests.
CREATE TABLE probe (id integer PRIMARY KEY);

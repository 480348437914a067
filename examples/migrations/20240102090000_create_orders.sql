-- migrate:up
create table orders (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id),
  total_cents bigint not null check (total_cents >= 0)
);

-- migrate:down
drop table orders;

create index concurrently orders_user_id on orders (user_id);

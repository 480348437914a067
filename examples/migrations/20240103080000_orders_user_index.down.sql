drop index concurrently orders_user_id;

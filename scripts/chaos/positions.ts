/**
 * Each event of a key carries its place in the key's sequence on its topic, in the header
 * `chaos-position`: 1, 2, 3… in commit order. A trigger of the run's own database stamps it
 * on every outbox row as it is inserted (scripts/chaos/database.ts), so neither the demo nor
 * the library knows of it; consumers read it back from the envelope's headers.
 *
 * Per topic, because Pulsar orders a key within a topic only: the demo puts the order side's
 * events on one topic and the inventory side's on another.
 */
export const POSITION_HEADER = 'chaos-position'

/**
 * The trigger's SQL. A counter row per (topic, key), incremented in the inserting transaction:
 * its row lock makes a second transaction of the same key wait until the first commits, so
 * positions follow commit order even when two transactions of a key run at once.
 */
export const POSITION_TRIGGER_SQL = `
create table chaos_key_positions (
  topic text not null,
  partition_key text not null,
  position int not null,
  primary key (topic, partition_key)
);
create function chaos_stamp_position () returns trigger language plpgsql as $$
declare
  next_position int;
begin
  if new.partition_key is null then
    return new;
  end if;
  insert into chaos_key_positions as p (topic, partition_key, position) values (new.topic, new.partition_key, 1)
    on conflict (topic, partition_key) do update set position = p.position + 1
    returning p.position into next_position;
  new.headers := coalesce(new.headers, '{}'::jsonb) || jsonb_build_object('${POSITION_HEADER}', next_position::text);
  return new;
end
$$;
create trigger chaos_stamp_position before insert on outbox for each row execute function chaos_stamp_position();
`

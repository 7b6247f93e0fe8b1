from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T06:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Day totals of the balance registers filled from their movements"

# The day totals (AccumulationRegister._day_class, created by the migration before this one) are kept by
# every posting from now on; the movements already posted are added up here, per key and day in the
# register's time zone, as `erp totals rebuild` would (erp.platform.totals). `erp totals check` proves them.


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="erp", description=DESCRIPTION)

    async def run():
        from erp.configuration import registry
        from erp.platform.totals import day_totals_sql

        from erp.platform.register import AccumulationRegister

        engine = engine_finder()
        for register in registry().registers.values():
            # a register declared after this migration gets its (empty) tables from a later one
            if register.is_balance and (await engine.run_ddl(
                    f"SELECT to_regclass('{register.day_table}') IS NOT NULL AS found"))[0]["found"]:
                # only the resources its tables had then (a resource declared later comes with its own migration)
                have = {r["column_name"] for r in await engine.run_ddl(
                    "SELECT column_name FROM information_schema.columns"
                    f" WHERE table_name = '{register.movements_table}'")}
                resources = [f for f in register.resources if f.name in have]
                then = AccumulationRegister(register.name, kind="balance", dimensions=register.dimensions,
                                            resources=resources, timezone=register.timezone)
                await engine.run_ddl(day_totals_sql(then))

    manager.add_raw(run)
    return manager

"""The public field names of the clinic's catalogs, documents and registers
(the API contract), as the OpenAPI schema publishes them."""

DOCUMENT = {"id", "number", "date", "posted", "deletion_mark", "based_on"}
CATALOGS = {
    "Organizations": {"name", "full_name", "inn", "kpp", "ogrn", "address", "director", "chief_accountant",
                      "vat_rate", "number_prefix"},
    "BankAccounts": {"organization_id", "bank_name", "bik", "correspondent_account", "account_number", "is_default"},
    "Clients": {"name", "kind", "inn", "kpp", "phone", "email"},
    "Doctors": {"name", "full_name", "specialty", "active"},
    "Nomenclature": {"name", "kind", "unit", "article", "vat_rate", "price", "duration_minutes"},
    "Warehouses": {"name"},
}
DOCUMENTS = {
    "WorkSchedules": ({"month"}, {"doctor_id", "day", "start", "end"}),
    "Requests": ({"client_id", "doctor_id", "starts_at", "duration_minutes", "amocrm_lead_id"},
                 {"nomenclature_id", "quantity", "price"}),
    "ServiceRenderings": ({"organization_id", "client_id", "doctor_id", "warehouse_id", "amount_total"},
                          {"nomenclature_id", "quantity", "price", "discount_percent", "discount_amount", "amount",
                           "note"}),
    "Invoices": ({"organization_id", "bank_account_id", "client_id", "due_date", "amocrm_lead_id", "amount_total",
                  "vat_total", "status"},
                 {"nomenclature_id", "quantity", "price", "discount_percent", "vat_rate", "vat_amount", "amount"}),
    "GoodsReceipts": ({"supplier_id", "warehouse_id"}, {"nomenclature_id", "quantity", "price", "amount"}),
    "Payments": ({"organization_id", "client_id", "amount", "method", "invoice_id"}, set()),
}
READ_ONLY = {"amount_total", "vat_total", "status"}
ENUMS = {("Organizations", "vat_rate"): ["20", "10", "0", "none"],
         ("Clients", "kind"): ["person", "sole_trader", "company"],
         ("Nomenclature", "kind"): ["goods", "service"], ("Payments", "method"): ["cash", "bank"],
         ("Invoices", "status"): ["unpaid", "partially_paid", "paid"]}


def props(schemas: dict, name: str) -> set[str]:
    return set(schemas[name]["properties"])


def enum(schemas: dict, name: str, field: str) -> list[str]:
    spec = schemas[name]["properties"][field]
    for option in spec.get("oneOf", [spec]):
        if "enum" in option:
            return [v for v in option["enum"] if v is not None]
    raise AssertionError(spec)


async def test_public_field_names(api):
    schemas = (await api.get("/schema/openapi.json"))["components"]["schemas"]
    for name, fields in CATALOGS.items():
        assert fields <= props(schemas, name), name
        assert fields - {"name"} <= props(schemas, f"{name}Create"), name
    for name, (header, lines) in DOCUMENTS.items():
        assert DOCUMENT | header <= props(schemas, name), name
        assert header - READ_ONLY <= props(schemas, f"{name}Input"), name
        if lines:
            assert lines <= props(schemas, f"{name}Line") and lines <= props(schemas, f"{name}LineIn"), name
    for (name, field), values in ENUMS.items():
        assert enum(schemas, name, field) == values
    paths = (await api.get("/schema/openapi.json"))["paths"]
    for register in ("stock", "settlements", "invoice-payments"):
        assert f"/api/registers/{register}/balance" in paths
    assert "/api/registers/sales/turnovers" in paths
    assert "/api/registers/doctor-schedule/slice-last" in paths
    assert {"/api/schedule/slots", "/api/reports/invoices"} <= set(paths)

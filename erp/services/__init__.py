"""The service layer the REST API, the UI and the amoCRM widget call: scheduling, pricing, requisites,
reports and the user-editable preferences. Services read and write through the platform; they never
import :mod:`erp.api` or :mod:`ui`."""

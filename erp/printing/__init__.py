"""Печатные формы: print forms and the documents generated from them.

A *form* turns one document into a page set: "Счёт на оплату" from an
Invoice, "Акт об оказании услуг" from a ServiceRendering. Its data are loaded
by :mod:`erp.printing.forms`, laid out by a Jinja template with print CSS
(``templates/``), and rendered as an HTML preview or, through WeasyPrint, a
PDF (:mod:`erp.printing.render`). Every PDF that is generated is kept in the
generated documents registry (:mod:`erp.printing.registry`) and can be
emailed to the client (:mod:`erp.printing.mail`).
"""

"""Data exchange with 1С:Бухгалтерия 8.3: the EnterpriseData export (issue 19, point 3)."""

"""The home file's ``finance:`` section: what the parts cost, the rates, the loan.

Only the settings, validated; what they pay back is computed by :mod:`homesim.planning.finance`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from homesim.errors import NoBooleansForNumbers
from homesim.units import quantity

Rate = Annotated[float, Field(ge=-0.5, le=1.0)]
Money = Annotated[float, Field(ge=0.0, le=1e12)]


def _field_error(model: str, loc: tuple[Any, ...], value: Any, reason: str) -> ValidationError:
    """A model validator's error located at one field (a plain ``ValueError`` names only the model)."""
    return ValidationError.from_exception_data(model, [
        InitErrorDetails(type="value_error", loc=loc, input=value, ctx={"error": ValueError(reason)})])


class _Model(NoBooleansForNumbers):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Loan(_Model):
    """A loan for part of the capital, paid back as an annuity (equal end-of-year payments).

    The deposit is given either as an amount (``deposit``) or as a share of the capital
    (``deposit_share``), not both; with neither, the loan covers all of the capital.
    """

    rate: Annotated[float, quantity("1/year", ge=0.0, le=1.0, title="Interest rate",
                                              description="nominal yearly interest rate, e.g. 0.115")]
    term_years: Annotated[int, quantity("year", ge=1, le=40, title="Term",
                                                description="years of equal payments, the first at the end of year 1")]
    deposit: Annotated[float | None, quantity("currency", ge=0.0, le=1e12, title="Deposit",
                                                          description="paid at the purchase; the rest is borrowed")] = None
    deposit_share: Annotated[float | None, quantity("0..1", ge=0.0, le=1.0, title="Deposit share",
                                                            description="share of the capital paid at the purchase")] = None

    @model_validator(mode="after")
    def _one_deposit(self) -> "Loan":
        if self.deposit is not None and self.deposit_share is not None:
            raise _field_error("Loan", ("deposit_share",), self.deposit_share,
                               f"give deposit ({self.deposit}) or deposit_share ({self.deposit_share}), not both")
        return self

    def deposit_for(self, capital: float) -> float:
        """The deposit for this capital [currency]; more than the capital is an error."""
        deposit = self.deposit if self.deposit is not None else (self.deposit_share or 0.0) * capital
        if deposit > capital:
            raise ValueError(f"loan.deposit {deposit} exceeds the capital {capital}")
        return deposit


class Finance(_Model):
    """What the equipment costs, what running it costs, and how the money is valued."""

    pv_per_kwp: Annotated[Money, quantity("currency/kWp", title="PV price", description="panels, mounting, DC cabling")] = 0.0
    battery_per_kwh: Annotated[Money, quantity("currency/kWh", title="Battery price",
                                                               description="per kWh of nominal capacity")] = 0.0
    inverter_per_kw: Annotated[Money, quantity("currency/kW", title="Inverter price",
                                                              description="per kW of rated AC power")] = 0.0
    installation: Annotated[Money, quantity("currency", title="Installation",
                                                        description="fixed: labour, certificate, connection")] = 0.0
    maintenance_per_year: Annotated[Money, quantity("currency/year", title="Maintenance",
                                                                     description="in year 1, paid every year")] = 0.0
    maintenance_escalation: Annotated[Rate, quantity("1/year", title="Maintenance escalation",
                                                               description="yearly increase of maintenance")] = 0.0
    inverter_replacement_year: Annotated[int, quantity("year", ge=1, le=40, title="Inverter replaced after",
                                                               description="inverter life: replaced in this year and every "
                                                                "as many years after")] = 12
    inverter_replacement_cost: Annotated[Money | None, quantity("currency",
        title="Inverter replacement cost",
        description="each replacement; empty: the inverter's capital cost")] = None
    battery_replacement_year: Annotated[int | None, quantity("year",
        ge=1, le=40, title="Battery replaced after",
        description="battery life: replaced in this year and every as many years after; empty: never "
                    "(later: when the ageing model says its capacity falls below end of life)")] = None
    battery_replacement_cost: Annotated[Money | None, quantity("currency",
        title="Battery replacement cost",
        description="each replacement; empty: the battery's capital cost")] = None
    import_escalation: Annotated[Rate, quantity("1/year", title="Import tariff escalation",
                                                          description="yearly increase of the import tariff, "
                                                         "nominal, e.g. 0.08")] = 0.0
    export_escalation: Annotated[Rate, quantity("1/year", title="Export tariff escalation",
                                                          description="yearly increase of the export tariff, nominal")] = 0.0
    discount_rate: Annotated[float, quantity("1/year", ge=0.0, le=1.0, title="Discount rate",
                                                       description="nominal yearly rate money is valued at")] = 0.08
    analysis_years: Annotated[int, quantity("year", ge=1, le=40, title="Years analysed",
                                                    description="years after the purchase")] = 20
    loan: Loan | None = Field(default=None, title="Loan", description="empty: paid in cash")

    @model_validator(mode="after")
    def _loan_within_analysis(self) -> "Finance":
        if self.loan is not None and self.loan.term_years > self.analysis_years:
            raise _field_error("Finance", ("loan", "term_years"), self.loan.term_years,
                               f"loan.term_years {self.loan.term_years} exceeds analysis_years "
                               f"{self.analysis_years}: payments after the analysis would be left out")
        return self

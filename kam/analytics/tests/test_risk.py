"""Dependency risk: one client, or the top few, carrying too much of the business."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.core.risk import RiskPolicy, dependency_risks

D = Decimal


def test_no_risk_when_the_business_is_spread() -> None:
    figures = {f"C{i:02d}": D(10) for i in range(20)}  # each 5 %, top 5 = 25 %
    assert dependency_risks(figures, measure="revenue", policy=RiskPolicy()) == []


def test_one_client_above_its_share_is_flagged() -> None:
    figures = {"BIG": D(30), **{f"C{i:02d}": D(10) for i in range(7)}}  # 30 / 100
    # the top 5 carry 70 %: below a 90 % limit
    risks = dependency_risks(figures, measure="revenue", policy=RiskPolicy(top_share=0.9))
    assert [(r.kind, r.clients, r.limit) for r in risks] == [("client", ("BIG",), 0.10)]
    assert risks[0].share == pytest.approx(0.30)
    assert risks[0].measure == "revenue"


def test_the_top_few_above_their_share_are_flagged_largest_first() -> None:
    figures = {"A": D(9), "B": D(9), "C": D(9), "D": D(9), "E": D(9), "F": D(5), "G": D(5)}
    policy = RiskPolicy(client_share=0.5, top_n=3, top_share=0.4)
    risks = dependency_risks(figures, measure="margin", policy=policy)
    assert len(risks) == 1
    top = risks[0]
    assert (top.measure, top.kind, top.clients) == ("margin", "top", ("A", "B", "C"))
    assert top.share == pytest.approx(27 / 55)


def test_both_risks_at_once() -> None:
    figures = {"A": D(60), "B": D(10), "C": D(10), "D": D(10), "E": D(5), "F": D(5)}
    risks = dependency_risks(figures, measure="revenue", policy=RiskPolicy())
    assert [r.kind for r in risks] == ["client", "top"]
    assert risks[1].clients == ("A", "B", "C", "D", "E")  # ties by client id


def test_a_share_exactly_at_the_limit_is_not_a_risk() -> None:
    figures = {"A": D(10), **{f"C{i}": D(10) for i in range(9)}}  # each exactly 10 %
    assert dependency_risks(figures, measure="revenue", policy=RiskPolicy()) == []


def test_the_top_is_only_a_risk_when_there_are_more_clients_than_the_top() -> None:
    figures = {"A": D(5), "B": D(5), "C": D(5)}
    risks = dependency_risks(figures, measure="revenue", policy=RiskPolicy(client_share=0.5))
    assert risks == []


def test_clients_without_a_positive_figure_are_left_out() -> None:
    figures = {"A": D(50), "B": D(50), "LOSS": D(-500), "ZERO": D(0)}
    risks = dependency_risks(figures, measure="margin", policy=RiskPolicy(client_share=0.4))
    assert [r.clients for r in risks] == [("A",)]
    assert risks[0].share == pytest.approx(0.5)


def test_nothing_positive_means_no_risk() -> None:
    assert dependency_risks({}, measure="revenue", policy=RiskPolicy()) == []
    assert dependency_risks({"A": D(-1)}, measure="revenue", policy=RiskPolicy()) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"client_share": 0},
        {"client_share": 1.5},
        {"top_share": 0},
        {"top_share": 2},
        {"top_n": 0},
    ],
)
def test_an_invalid_policy_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="risk shares"):
        RiskPolicy(**bad)  # type: ignore[arg-type]


@given(
    st.dictionaries(
        st.text(alphabet="ABCDEFG", min_size=1, max_size=3),
        st.decimals(min_value=-100, max_value=1000, places=2, allow_nan=False),
        max_size=25,
    ),
    st.floats(0.01, 1),
    st.integers(1, 6),
    st.floats(0.01, 1),
)
def test_a_risk_is_raised_exactly_when_a_share_exceeds_its_limit(
    figures: dict[str, Decimal], client_share: float, top_n: int, top_share: float
) -> None:
    policy = RiskPolicy(client_share=client_share, top_n=top_n, top_share=top_share)
    risks = {r.kind: r for r in dependency_risks(figures, measure="revenue", policy=policy)}
    positive = sorted(((v, c) for c, v in figures.items() if v > 0), key=lambda p: (-p[0], p[1]))
    total = sum((v for v, _ in positive), D(0))
    if total <= 0:
        assert risks == {}
        return
    largest = float(positive[0][0] / total)
    assert ("client" in risks) == (largest > client_share)
    if "client" in risks:
        assert risks["client"].clients == (positive[0][1],)
    if len(positive) > top_n:
        share = float(sum((v for v, _ in positive[:top_n]), D(0)) / total)
        assert ("top" in risks) == (share > top_share)
    else:
        assert "top" not in risks
    for risk in risks.values():
        assert 0 < risk.share <= 1

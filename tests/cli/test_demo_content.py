"""The demo's content steps (scoring, rewriting the weakest, the printed report) with a
fake generator: a test of the flow and the printing, not of the model."""

import io

import numpy as np
from saleor_personalization.cli import demo_content
from saleor_personalization.cli.main import build_parser
from saleor_personalization.engine.content.generators.base import Generator
from saleor_personalization.engine.documents import ProductDocument

WEAK = "A crew neck tee knitted from 180 gsm organic cotton."
REWRITE = ("The Northline Tee is a crew neck tee in White and Black, knitted from 180 gsm "
           "organic cotton.")
STRONG = (
    "A 450 ml double-wall stainless steel mug that keeps coffee hot for hours on the trail. "
    "The leak-proof lid locks shut with one hand, so it rides safely in a backpack pocket. "
    "Its powder-coated finish gives a sure grip in cold weather and resists scratches from "
    "keys and gear. The mug fits most car cup holders and is easy to rinse at camp."
)


def documents():
    return [
        ProductDocument(product_id=1, name="Northline Tee", description=WEAK,
                        category_path=["Apparel", "T-Shirts"],
                        attributes={"Color": ["White", "Black"], "Material": ["Organic cotton"]}),
        ProductDocument(product_id=2, name="Thermo Trek Mug", description=STRONG,
                        category_path=["Kitchen", "Drinkware"],
                        attributes={"Material": ["Stainless steel"], "Capacity": ["450 ml"]}),
    ]


def letter_vectors(texts):
    """A stand-in encoder: letter counts, unit length."""
    rows = []
    for text in texts:
        counts = np.array([text.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"], float)
        rows.append(counts / (np.linalg.norm(counts) or 1.0))
    return np.array(rows, dtype=np.float32)


class Fake:
    name, model = "fake", "fake-1"

    def __init__(self, text):
        self.text = text
        self.prompts = 0

    def generate(self, prompts, *, n=1, **_):
        self.prompts += len(prompts)
        return [[prompt.metadata.get("sentence") or self.text] * n for prompt in prompts]


def run_steps(generator):
    facts = demo_content.sample_facts(documents())
    audience, source = demo_content.mean_vector([], lambda: list(letter_vectors([STRONG, WEAK])))
    assert source.startswith("mean of 2 product vectors")
    scored = demo_content.score_catalog(facts, audience, letter_vectors)
    out = io.StringIO()
    demo_content.print_score_table(scored, out, width=120)
    result = demo_content.rewrite(scored[0], generator, audience, letter_vectors, out=out,
                                  width=80)
    return scored, result, out.getvalue()


def flat(text):
    return " ".join(text.split())


def test_the_weakest_description_is_rewritten_and_shown_with_its_report_and_score_change():
    generator = Fake(REWRITE)
    assert isinstance(generator, Generator)
    scored, result, out = run_steps(generator)
    assert [s.product_id for s in scored] == [1, 2]  # weakest first
    table = out.split("candidates from fake")[0]
    assert table.index("Northline Tee") < table.index("Thermo Trek Mug")
    assert "Say what it is: T-Shirts" in table  # the weak one's first suggestion
    assert generator.prompts > 0
    best = result.proposals[0]
    assert REWRITE in best.text  # the fake's opening, alone or before the merchant's text
    assert f"Original ({result.current_score.total:.1f})" in out
    assert WEAK in flat(out) and flat(best.text) in flat(out)
    assert "Guardrails: accepted" in out
    assert f"Score: {result.current_score.total:.1f} → {best.score.total:.1f} (+" in out
    assert best.score.total > result.current_score.total


def test_without_a_passing_candidate_the_best_rejected_one_is_shown_with_its_violations():
    bad = "The Northline Tee is now 50% off and comes with a lifetime warranty."
    _scored, result, out = run_steps(Fake(bad))
    assert not result.proposals
    assert "No candidate passed the guardrails." in out
    assert "Guardrails: rejected" in out
    assert "  - invented_" in out
    assert WEAK in flat(out) and "50% off" in flat(out)
    assert f"Score: {result.current_score.total:.1f} → " in out


def test_side_by_side_on_a_wide_terminal():
    out = io.StringIO()
    demo_content.print_side_by_side("Original", WEAK, "Rewritten", REWRITE, out=out, width=120)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("  Original") and "| Rewritten" in lines[0]
    assert WEAK[:30] in lines[2] and REWRITE[:30] in lines[2]


def test_no_content_is_accepted():
    args = build_parser().parse_args(["demo", "--no-content"])
    assert args.no_content is True
    assert build_parser().parse_args(["demo"]).no_content is False

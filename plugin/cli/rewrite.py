"""``saleor-personalization rewrite``: try the generator on one product, without Saleor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .check_rewrite import UnreadableInput, _read


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rewrite",
        help="rewrite one product's description with the generator and show the verdicts",
        description="Reads a product as JSON ({\"name\", \"category\", \"attributes\", "
        "\"description\", \"language\"}; description as text or Editor.js), generates "
        "candidates, repairs, checks and scores them.",
    )
    parser.add_argument("--product-json", required=True, type=Path, metavar="FILE")
    parser.add_argument("--backend", choices=["local", "openai"], default="local")
    parser.add_argument("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1")
    parser.add_argument("--model", help="local: a hub name, folder or .gguf file (default: the "
                        "packaged SmolLM2-135M-Instruct); openai: the served model's name")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="VAR",
                        help="environment variable holding the API key (default OPENAI_API_KEY)")
    parser.add_argument("--candidates", type=int, default=2, metavar="N",
                        help="whole-text candidates (default 2)")
    parser.add_argument("--no-sentence-edits", action="store_true",
                        help="only whole-text candidates")
    parser.add_argument("--instructions", default="", help="staff instructions for the prompt")
    parser.add_argument("--brand-voice", default="", help="the shop's brand voice")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def load_product(path: Path):
    """A product JSON file as :class:`ProductFacts`."""
    from ..engine.content.editorjs import to_text
    from ..engine.content.facts import ProductFacts
    from ..engine.content.guardrails import attribute_values

    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise UnreadableInput(f"{path}: expected an object with at least a \"name\"")
    category = data.get("category") or ""
    if isinstance(category, list):
        category = " > ".join(str(c) for c in category)
    return ProductFacts(
        name=data["name"], category=str(category),
        attributes=attribute_values(data.get("attributes") or {}),
        description=to_text(data.get("description")), language=data.get("language"),
    )


def run(args: argparse.Namespace) -> int:
    import os

    from ..engine.content.generators import GeneratorError, make_generator
    from ..engine.content.rewriting import RewriteSettings, propose

    try:
        facts = load_product(args.product_json)
    except UnreadableInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.backend == "openai":
        if not args.base_url or not args.model:
            raise ValueError("--backend openai needs --base-url and --model")
        generator = make_generator("openai", base_url=args.base_url, model=args.model,
                                   api_key=os.environ.get(args.api_key_env, ""))
    else:
        generator = make_generator("local", model=args.model)
    settings = RewriteSettings(candidates=args.candidates,
                               sentence_edits=not args.no_sentence_edits,
                               instructions=args.instructions, brand_voice=args.brand_voice,
                               seed=args.seed)
    try:
        result = propose(facts, facts.description, generator=generator, settings=settings)
    except GeneratorError as exc:
        print(f"error: generator: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_as_dict(result), ensure_ascii=False, indent=2))
        return 0
    print(f"{facts.name}: current score {result.current_score.total:.1f} "
          f"({result.backend}, {result.model}, prompt {result.prompt_version})")
    for index, candidate in enumerate(result.candidates, 1):
        verdict = "PROPOSAL" if candidate.is_proposal else (
            "accepted" if candidate.report.accepted else "rejected")
        print(f"\n[{index}] {candidate.origin}: score {candidate.score.total:.1f}, {verdict}")
        print(candidate.text)
        for violation in candidate.report.violations:
            print(f"  - {violation.rule}: {violation.detail}")
    print(f"\n{len(result.proposals)} proposal(s) of {len(result.candidates)} candidate(s)")
    return 0


def _as_dict(result) -> dict:
    from dataclasses import asdict

    return {
        "prompt_version": result.prompt_version, "backend": result.backend,
        "model": result.model, "current_score": asdict(result.current_score),
        "candidates": [{"text": c.text, "origin": c.origin, "is_proposal": c.is_proposal,
                        "repairs": c.repairs, "score": asdict(c.score), **c.report.as_dict()}
                       for c in result.candidates],
    }

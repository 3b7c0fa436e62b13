"""Content optimization, Saleor- and Django-agnostic.

- :mod:`.editorjs`: Saleor's Editor.js descriptions <-> plain text.
- :mod:`.facts`: the facts a product's text and attributes state.
- :mod:`.guardrails`: does a rewrite keep every fact and invent none?
- :mod:`.scoring`: a 0-100 score with its parts and what to fix.
- :mod:`.prompts`: versioned prompts for the generators.
- :mod:`.generators`: the generator interface, a local transformers backend and an
  OpenAI-compatible one.
- :mod:`.rewriting`: candidates -> repaired, checked, scored proposals.
"""

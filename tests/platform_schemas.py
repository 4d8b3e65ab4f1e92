"""The grading platforms' results.json, as JSON Schemas written from their documentation."""

from __future__ import annotations

NUMBER = {"type": "number"}
TEXT = {"type": "string"}
# Gradescope's results.json (the autograder specification's top level and tests).
GRADESCOPE = {
    "type": "object",
    "required": ["score", "output", "tests"],
    "properties": {
        "score": NUMBER, "output": TEXT,
        "visibility": {"enum": ["visible", "hidden", "after_due_date", "after_published"]},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "additionalProperties": False,
            "properties": {
                "name": TEXT, "score": NUMBER, "max_score": NUMBER,
                "status": {"enum": ["passed", "failed"]}, "output": TEXT,
                "visibility": {"enum": ["visible", "hidden", "after_due_date",
                                        "after_published"]},
            },
        }},
    },
}
# PrairieLearn's external grader results.json.
PRAIRIELEARN = {
    "type": "object",
    "required": ["gradable", "score", "message", "tests"],
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": TEXT,
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "points", "max_points", "output", "message"],
            "additionalProperties": False,
            "properties": {"name": TEXT, "points": NUMBER, "max_points": NUMBER,
                           "output": TEXT, "message": TEXT},
        }},
    },
}

"""The shipped question sets (data only): `statement.jsonl` is the default for `quotebot eval`
and the page's Evaluation tab."""

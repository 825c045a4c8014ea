"""The experiments of the book's chapters, one module per chapter, named after its notebook.

A chapter notebook is prose around a few lines a reader would type::

    from mad.chapters import fresh_data_steady_state as chapter

    result = chapter.run(d=100, n_r=100, n_s=900)   # the experiment (sizes follow MAD_SCALE)
    chapter.figure_steady(result)                    # each numbered figure: one function
    glue_all(chapter.numbers(result))                # every number the prose quotes
    chapter.claims(result).show()                    # the claims check

Each module holds, in this order:

* ``run(...) -> Result``: the experiment, its parameters in the signature (the paper's values as
  defaults; ``None`` means "the size of this ``MAD_SCALE``", via :func:`mad.by_scale`), and
  ``seed=None`` for :func:`mad.base_seed`. The ``Result`` dataclass keeps what was run (its
  ``sizes``) and the raw outputs, tidy frames where the data are tables;
* ``figure_<name>(result) -> Figure``: one function per numbered figure, following the rules of
  :mod:`mad.plotting`;
* ``table_<name>(result) -> DataFrame`` for tables the page shows;
* ``numbers(result) -> dict``: the numbers the prose quotes, by glue name (:func:`mad.results.glue_all`);
* ``claims(result) -> ClaimsLedger``: the verdicts of the chapter's claims (:mod:`mad.verdicts`).

The notebooks run these functions and nothing else; the modules are linted, tested by the smoke
run of every notebook (``make test``), and diffable, which notebook JSON is not.
"""


class ChapterResult:
    """Mixin of the chapters' result dataclasses (declared ``@dataclass(repr=False)``, with a ``sizes`` field).

    The repr lists ``sizes``, what was run at this ``MAD_SCALE`` (it is the output of a chapter's run cell),
    instead of the default dataclass repr that would print every array of the result.
    """

    sizes: dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.sizes.items())})"

"""Verifiable-instruction checkers: IFEval's and MT-Eval's variants.

Two families of instructions share one id scheme:

* IFEval (Zhou et al. 2023, arXiv 2311.07911): 25 instructions such as
  ``detectable_format:title``, with the prompt texts of its ``build_description``.
* MT-Eval (Kwan et al. 2024, arXiv 2401.16745, ``utils/global_inst.py``): the
  15 instructions of its global-instruction task, phrased for a whole
  conversation ("All your responses in the upcoming conversation must ...").

Six ids exist in both (``keywords:existence``, ``language:response_language``,
``length_constraints:number_sentences``, ``length_constraints:number_words``,
``combination:two_responses``, ``punctuation:no_comma``). For those,
``dialect="ifeval"`` or ``dialect="mt-eval"`` picks a family; without one,
MT-Eval's variant is used unless the arguments follow IFEval's convention.

Example:
    >>> from mteval.instructions import check, describe
    >>> describe("startend:start_char", {"letter": "o"})
    'Begin all your responses in the upcoming conversation with the letter o.'
    >>> check("startend:start_char", {"letter": "o"}, "Of course!")
    True
"""

from mteval.instructions._registry import (
    IFEVAL_IDS,
    INSTRUCTION_IDS,
    MTEVAL_IDS,
    check,
    describe,
    sample_mteval_args,
)

__all__ = [
    "IFEVAL_IDS",
    "INSTRUCTION_IDS",
    "MTEVAL_IDS",
    "check",
    "describe",
    "sample_mteval_args",
]

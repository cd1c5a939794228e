"""A fast, deterministic scorer over langdetect's own language profiles.

langdetect (a port of Nakatani Shuyo's language-detection library) models a
language as the frequencies of its character 1-, 2- and 3-grams, learnt from
Wikipedia. To judge a text it normalises the characters, extracts the n-grams,
and then *samples* them at random, multiplying per-language probabilities until
one language passes 0.99999, seven times over with a jittered smoothing
constant. The sampling makes it slow (about 10 ms for a 4 KB page) and random
unless it is seeded.

This subpackage keeps langdetect's profiles and its text normalisation, and
replaces the sampling with the exact sum it approximates: the log-probability
of *every* n-gram of the text under each language, added up with numpy. The
n-gram rows of a word are summed once and cached per word, so scoring a text
costs one dictionary look-up per word and one matrix sum per line.

Modules:

* :mod:`.profiles` - load the 55 JSON profiles into a log-probability matrix;
* :mod:`.tables` - per-code-point tables (langdetect's character
  normalisation, Unicode script ids) for vectorised passes over a text;
* :mod:`.features` - n-grams of a word, and the per-word cache of summed rows;
* :mod:`.scorer` - a text in, one row of per-language log-likelihoods per line out.
"""
from normalize.detect.langid.profiles import Profiles, load_profiles
from normalize.detect.langid.scorer import LineScores, score_lines

__all__ = ["Profiles", "load_profiles", "LineScores", "score_lines"]

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
n-grams of a whole text are built and looked up with array operations, never
one by one in Python, so a paragraph costs a fixed handful of array passes.

Modules, in the order a text meets them:

* :mod:`.profiles` - the 55 JSON profiles as one log-probability matrix;
* :mod:`.tables` - per-code-point tables (langdetect's character
  normalisation, Unicode script ids, upper case), merged by :mod:`.profiles`
  into one table of small character ids;
* :mod:`.features` - the n-grams of a text as integer keys;
* :mod:`.gramtable` - a vectorised hash table from those keys to matrix rows;
* :mod:`.scorer` - a text in, per-line log-likelihoods and script counts out;
* :mod:`.memo` - the sums and script counts of lines seen before (news lines repeat), bounded;
* :mod:`.script_langs` - what a line's script says about its language;
* :mod:`.evidence` - the per-line facts the decisions are made from;
* :mod:`.judge` - the document's languages and each line's language (a
  one-line text, a sentence or a paragraph, takes a shorter way to the same
  figures; the lines of a batch of documents are judged together).
"""
from normalize.detect.langid.profiles import Profiles, load_profiles
from normalize.detect.langid.scorer import LineScores, score_lines

__all__ = ["Profiles", "load_profiles", "LineScores", "score_lines"]

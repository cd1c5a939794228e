"""Connected components of a large graph with Spark DataFrames.

Verified duplicate pairs form a graph; the kept-copy choice needs each
document's connected component. Collecting every edge on the driver and
running union-find there would put the whole graph in one process, so the
components are found with the alternating *large-star / small-star* algorithm
(Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014):
each round is a few shuffles of the edge list, no step needs more than one
node's neighbourhood, and it converges in O(log² n) rounds (a handful for
duplicate clusters, whose diameter is small).

* large-star: every node u links its *larger* neighbours to the smallest
  node of its neighbourhood (itself included);
* small-star: every node u links its *smaller-or-equal* neighbourhood,
  itself included, to the smallest of them.

Both keep the components as they are; they stop when the edge list is a forest
of stars, each centred on its component's smallest node: then no centre is
also a leaf and every leaf has one edge.
"""
from __future__ import annotations

MAX_ROUNDS = 100  # far above what O(log² n) needs; a guard against a bug looping forever


def _large_star(edges):
    """Every node's larger neighbours, linked to its smallest neighbour or itself.
    A window (not a group-by and a join back) finds the minimum: one shuffle.
    Repeated edges are left for the small-star step to drop."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    both = edges.select(F.col("a").alias("u"), F.col("b").alias("v")).union(
        edges.select(F.col("b").alias("u"), F.col("a").alias("v")))
    smallest = F.least(F.min("v").over(Window.partitionBy("u")), F.col("u"))
    return both.withColumn("m", smallest).where(F.col("v") > F.col("u")).select(
        F.col("v").alias("a"), F.col("m").alias("b"))


def _small_star(edges):
    """Every node's smaller neighbours and itself, linked to the smallest of them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    # each edge oriented from its larger end u to its smaller end v
    down = edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
    linked = down.withColumn("m", F.min("v").over(Window.partitionBy("u")))
    leaves = linked.where(F.col("v") != F.col("m")).select(F.col("v").alias("a"), F.col("m").alias("b"))
    centres = linked.select(F.col("u").alias("a"), F.col("m").alias("b"))
    return leaves.union(centres).distinct()


def _is_star_forest(edges) -> bool:
    """Edges (a, b), a > b: True when every a has one edge and no b is also an a
    (one Spark job)."""
    from pyspark.sql import functions as F

    repeated = edges.groupBy("a").count().where(F.col("count") > 1).select("a")
    centres = edges.select(F.col("b").alias("a")).distinct()
    leaf_centres = edges.select("a").join(centres, "a")
    return repeated.union(leaf_centres).limit(1).count() == 0


def connected_components(edges):
    """``edges``: a DataFrame with long columns ``a``, ``b`` (an undirected edge
    each, either orientation, repeats allowed). Returns a DataFrame ``node, comp``
    with one row per node that has an edge; ``comp`` is the smallest node of its
    component."""
    from pyspark.sql import functions as F

    current = (edges.where(F.col("a") != F.col("b"))
               .select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b")).distinct())
    current = current.localCheckpoint()
    for _ in range(MAX_ROUNDS):
        previous = current
        # the checkpoint cuts the query plan (it would grow with every round) and keeps
        # the round's edges on the executors, not on the driver
        current = _small_star(_large_star(previous)).localCheckpoint()
        previous.unpersist()
        if _is_star_forest(current):
            break
    else:  # pragma: no cover - the algorithm converges long before
        raise RuntimeError("connected components did not converge")
    leaves = current.select(F.col("a").alias("node"), F.col("b").alias("comp"))
    centres = current.select(F.col("b").alias("node"), F.col("b").alias("comp")).distinct()
    return leaves.union(centres)

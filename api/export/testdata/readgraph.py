"""Reads a GraphML or GEXF file with networkx, an independent reader, and
prints what it found as JSON: node and edge counts, the sum of the edges'
amounts, how many nodes and edges carry a start time, the labelled nodes
and the distinct clusters. Usage: readgraph.py graphml|gexf FILE."""
import json
import sys

import networkx as nx


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "graphml":
        g = nx.read_graphml(path, force_multigraph=True)
        amount, start, labels, cluster = "amount_sat", "first_time", "labels", "cluster"
    else:
        g = nx.read_gexf(path, version="1.3")
        amount, start, labels, cluster = "amount_sat", "start", "labels", "cluster"
    out = {
        "directed": g.is_directed(),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "amount": sum(int(d.get(amount, 0)) for _, _, d in g.edges(data=True)),
        "node_starts": sum(1 for _, d in g.nodes(data=True) if d.get(start)),
        "edge_starts": sum(1 for _, _, d in g.edges(data=True) if d.get("start") or d.get("time")),
        "labelled": sorted(n for n, d in g.nodes(data=True) if d.get(labels)),
        "clusters": len({d[cluster] for _, d in g.nodes(data=True) if cluster in d}),
        "times_sorted": [],
    }
    if kind == "gexf":
        out["times_sorted"] = sorted({str(d["start"]) for _, _, d in g.edges(data=True) if d.get("start")})[:3]
    json.dump(out, sys.stdout)


main()

// Package labels reads address and transaction labels from the formats
// analysts exchange them in, checks them, and routes them to the index of
// the chain they belong to.
//
// Three formats are read:
//
//   - GraphSense TagPacks and ActorPacks (YAML): header fields are inherited
//     by every tag, confidence names map to numbers (confidence.go), and
//     categories are checked against the GraphSense concept taxonomy
//     (concepts.go). A tag's actor takes its label, categories and
//     jurisdictions from an ActorPack imported alongside.
//   - The OFAC SDN list, as sdn.xml or sdn_advanced.xml: every "Digital
//     Currency Address - <TICKER>" of a listed party becomes a sanction
//     label of that party. The files are read as a stream.
//   - Plain CSV with the header address,chain,entity,category,source,
//     confidence and the optional columns concepts, date and
//     cluster_definer.
//
// Parsing is pure: a parser turns one file into a Set of entries, each an
// address or transaction label (a storage.Label) with the chain and network
// it belongs to, plus counts of what was skipped and why. Every address is
// checked for its chain and network. Route then assigns the entries to the
// chain indexes of a data directory, and Store writes one chain's entries,
// replacing the earlier contents of the same packs.
package labels

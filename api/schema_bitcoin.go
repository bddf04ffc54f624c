package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// BitcoinArea serves one Bitcoin index: the root fields stats, block,
// transaction and address, for keys with the viewer role and up. It
// registers the shared types Block, Transaction and Address for other
// areas.
func BitcoinArea(v Bitcoin, chain string, indexes []string) Area {
	return func(b *Builder) (graphql.Fields, error) {
		s := &bitcoinSchema{b: b, v: v, chain: chain, indexes: indexes}
		return s.fields(), nil
	}
}

type bitcoinSchema struct {
	b       *Builder
	v       Bitcoin
	chain   string
	indexes []string
}

// addressNode is what an Address resolves from: the summary view and the
// address string to page its history with.
type addressNode struct {
	addr string
	view *Address
}

// edge is one element of a connection.
type edge struct {
	cursor string
	node   any
}

// connection is one page of a paginated list.
type connection struct {
	edges     []edge
	total     int
	hasNext   bool
	endCursor string
}

func (s *bitcoinSchema) fields() graphql.Fields {
	b := s.b
	long := b.Long()
	nonNull := graphql.NewNonNull

	pageInfo := graphql.NewObject(graphql.ObjectConfig{
		Name:        "PageInfo",
		Description: "Where a page of a connection ends and whether more follows.",
		Fields: graphql.Fields{
			"hasNextPage": {Type: nonNull(graphql.Boolean), Description: "Whether another page follows this one.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*connection).hasNext, nil }},
			"endCursor": {Type: graphql.String, Description: "The cursor of the last edge: pass it as after to get the next page. Null on an empty page.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					if c := p.Source.(*connection); c.endCursor != "" {
						return c.endCursor, nil
					}
					return nil, nil
				}},
		},
	})
	b.AddType(pageInfo)

	stats := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Stats",
		Description: "Totals of the index and how far each part of it has got.",
		Fields: graphql.Fields{
			"chain":                 {Type: nonNull(graphql.String), Description: `The indexed chain, such as "bitcoin/mainnet".`, Resolve: statsField(func(s *Stats) any { return s.Chain })},
			"height":                {Type: nonNull(long), Description: "Height of the last block indexed; -1 for an empty index.", Resolve: statsField(func(s *Stats) any { return s.Height })},
			"tipHash":               {Type: graphql.String, Description: "Hash of the last block indexed.", Resolve: statsField(func(s *Stats) any { return nilIfEmpty(s.TipHash) })},
			"tipTime":               {Type: graphql.String, Description: "Time stamp of the last block indexed (RFC 3339, UTC).", Resolve: statsField(func(s *Stats) any { return nilIfEmpty(s.TipTime) })},
			"blocks":                {Type: nonNull(long), Description: "Blocks in the index.", Resolve: statsField(func(s *Stats) any { return s.Blocks })},
			"txs":                   {Type: nonNull(long), Description: "Transactions in the index.", Resolve: statsField(func(s *Stats) any { return s.Txs })},
			"inputs":                {Type: nonNull(long), Description: "Transaction inputs (coinbase inputs excluded).", Resolve: statsField(func(s *Stats) any { return s.Inputs })},
			"outputs":               {Type: nonNull(long), Description: "Transaction outputs.", Resolve: statsField(func(s *Stats) any { return s.Outputs })},
			"addresses":             {Type: nonNull(long), Description: "Distinct addresses seen.", Resolve: statsField(func(s *Stats) any { return s.Addresses })},
			"opReturnOutputs":       {Type: nonNull(long), Description: "OP_RETURN (null data) outputs.", Resolve: statsField(func(s *Stats) any { return s.NullData })},
			"nonstandardOutputs":    {Type: nonNull(long), Description: "Outputs with a non-standard script.", Resolve: statsField(func(s *Stats) any { return s.NonStandard })},
			"outputsWithoutAddress": {Type: nonNull(long), Description: "Outputs that pay no address (OP_RETURN, non-standard).", Resolve: statsField(func(s *Stats) any { return s.NoAddress })},
			"feesSat":               {Type: nonNull(long), Description: "Sum of all transaction fees, in satoshi.", Resolve: statsField(func(s *Stats) any { return s.FeesSat })},
			"mintedSat":             {Type: nonNull(long), Description: "Sum of all coinbase outputs, in satoshi.", Resolve: statsField(func(s *Stats) any { return s.MintedSat })},
			"valueWithoutAddressSat": {Type: nonNull(long), Description: "Value sent to outputs without an address, in satoshi.",
				Resolve: statsField(func(s *Stats) any { return s.UnspendableSat })},
			"indexTips": {Type: nonNull(graphql.NewList(nonNull(graphql.NewObject(graphql.ObjectConfig{
				Name:        "IndexTip",
				Description: "How far one index has got.",
				Fields: graphql.Fields{
					"name":   {Type: nonNull(graphql.String), Description: "The index's name."},
					"height": {Type: nonNull(long), Description: "Height of the last block it holds; -1 when empty."},
				},
			})))), Description: "Each index's tip.",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					st := p.Source.(*Stats)
					var out []map[string]any
					for _, name := range s.indexes {
						out = append(out, map[string]any{"name": name, "height": st.IndexTips[name]})
					}
					return out, nil
				}},
		},
	})

	// Block and Transaction refer to each other; fields are added once both
	// exist.
	block := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Block",
		Description: "A block of the indexed chain.",
		Fields:      graphql.Fields{},
	})
	tx := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Transaction",
		Description: "A transaction, with the outputs its inputs spend and the inputs that spend its outputs.",
		Fields:      graphql.Fields{},
	})
	b.AddType(block)
	b.AddType(tx)

	blockTxEdge := graphql.NewObject(graphql.ObjectConfig{
		Name:        "BlockTransactionEdge",
		Description: "A transaction of a block, with its cursor.",
		Fields: graphql.Fields{
			"cursor": {Type: nonNull(graphql.String), Description: "Opaque position of this edge: pass it as after to continue after it.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(edge).cursor, nil }},
			"node": {Type: nonNull(tx), Description: "The transaction.",
				Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) { return s.v.Tx(p.Source.(edge).node.(string)) })},
		},
	})
	blockTxConn := graphql.NewObject(graphql.ObjectConfig{
		Name:        "BlockTransactionConnection",
		Description: "A page of a block's transactions, in block order.",
		Fields: graphql.Fields{
			"totalCount": {Type: nonNull(graphql.Int), Description: "Transactions in the block.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*connection).total, nil }},
			"pageInfo": {Type: nonNull(pageInfo), Description: "Whether more follows and the cursor to continue after.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }},
			"edges": {Type: nonNull(graphql.NewList(nonNull(blockTxEdge))), Description: "The transactions of this page.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*connection).edges, nil }},
		},
	})
	pageArgs := func(what string) graphql.FieldConfigArgument {
		return graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, DefaultValue: 10, Description: fmt.Sprintf("How many %s to return, at most %d.", what, b.MaxPageSize)},
			"after": {Type: graphql.String, Description: "Continue after this cursor (an edge's cursor or pageInfo.endCursor)."},
		}
	}

	blockFields := graphql.Fields{
		"height":   {Type: nonNull(long), Description: "Height in the chain; the genesis block is 0."},
		"hash":     {Type: nonNull(graphql.String), Description: "Block hash, hex in the usual display order."},
		"prevHash": {Type: nonNull(graphql.String), Description: "Hash of the block before it."},
		"time":     {Type: nonNull(graphql.String), Description: "The header's time stamp (RFC 3339, UTC)."},
		"txCount":  {Type: nonNull(graphql.Int), Description: "Transactions in the block."},
		"size":     {Type: nonNull(graphql.Int), Description: "Serialized size in bytes."},
		"weight":   {Type: nonNull(graphql.Int), Description: "Weight units (BIP 141)."},
		"feesSat":  {Type: nonNull(long), Description: "Fees paid by the block's transactions, in satoshi."},
		"transactions": {Type: nonNull(blockTxConn), Args: pageArgs("transactions"),
			Description: "The block's transactions in block order, a page at a time.",
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				blk := p.Source.(*Block)
				n, err := b.pageSize(p, "Block.transactions")
				if err != nil {
					return nil, err
				}
				from := 0
				if after, ok := p.Args["after"].(string); ok {
					pos, err := strconv.ParseUint(after, 10, 32)
					if err != nil || pos >= uint64(blk.TxCount) {
						return nil, Errorf(CodeBadInput, "Block.transactions: after %q is not a cursor of this block", clip(after, 80))
					}
					from = int(pos) + 1
				}
				ids, err := s.v.Txids(blk, from, n)
				if err != nil {
					return nil, err
				}
				c := &connection{total: int(blk.TxCount), hasNext: from+len(ids) < int(blk.TxCount)}
				for i, id := range ids {
					c.edges = append(c.edges, edge{cursor: strconv.Itoa(from + i), node: id})
				}
				if len(c.edges) > 0 {
					c.endCursor = c.edges[len(c.edges)-1].cursor
				}
				return c, nil
			})},
	}
	for name, f := range blockFields {
		if f.Resolve == nil {
			f.Resolve = structField(name)
		}
		block.AddFieldConfig(name, f)
	}

	spender := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Spender",
		Description: "The input that spent an output.",
		Fields: graphql.Fields{
			"txid":   {Type: nonNull(graphql.String), Description: "The spending transaction's id."},
			"vin":    {Type: nonNull(graphql.Int), Description: "The input's position in it."},
			"height": {Type: nonNull(long), Description: "Height of the block holding it."},
			"transaction": {Type: nonNull(tx), Description: "The spending transaction.",
				Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) { return s.v.Tx(p.Source.(*Spender).Txid) })},
		},
	})
	setStructResolvers(spender, "txid", "vin", "height")
	input := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Input",
		Description: "A transaction input, with the output it spends.",
		Fields: graphql.Fields{
			"prevTxid": {Type: nonNull(graphql.String), Description: "Id of the transaction whose output it spends."},
			"prevVout": {Type: nonNull(graphql.Int), Description: "Position of that output."},
			"address":  {Type: graphql.String, Description: "Address of the spent output; null when it paid no address."},
			"valueSat": {Type: nonNull(long), Description: "Value of the spent output, in satoshi."},
			"prevTransaction": {Type: nonNull(tx), Description: "The transaction whose output it spends.",
				Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) { return s.v.Tx(p.Source.(TxInput).PrevTxid) })},
		},
	})
	setStructResolvers(input, "prevTxid", "prevVout", "address", "valueSat")
	output := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Output",
		Description: "A transaction output and, once spent, its spender.",
		Fields: graphql.Fields{
			"n":         {Type: nonNull(graphql.Int), Description: "Position in the transaction."},
			"valueSat":  {Type: nonNull(long), Description: "Value in satoshi."},
			"type":      {Type: nonNull(graphql.String), Description: "Script type: p2pk, p2pkh, p2sh, p2wpkh, p2wsh, p2tr, multisig, nulldata, nonstandard, …"},
			"address":   {Type: graphql.String, Description: "The address it pays; null for OP_RETURN and non-standard scripts."},
			"scriptHex": {Type: graphql.String, Description: "The output script in hex, given when it pays no address."},
			"spentBy":   {Type: spender, Description: "The input that spent it; null while unspent."},
		},
	})
	setStructResolvers(output, "n", "valueSat", "type", "address", "scriptHex", "spentBy")

	txFields := graphql.Fields{
		"txid":      {Type: nonNull(graphql.String), Description: "Transaction id, hex in the usual display order."},
		"height":    {Type: nonNull(long), Description: "Height of the block holding it."},
		"blockHash": {Type: nonNull(graphql.String), Description: "Hash of the block holding it."},
		"time":      {Type: nonNull(graphql.String), Description: "The block's time stamp (RFC 3339, UTC)."},
		"index":     {Type: nonNull(graphql.Int), Description: "Position in the block; the coinbase is 0."},
		"coinbase":  {Type: nonNull(graphql.Boolean), Description: "Whether it is the block's coinbase."},
		"size":      {Type: nonNull(graphql.Int), Description: "Serialized size in bytes."},
		"vsize":     {Type: nonNull(graphql.Int), Description: "Virtual size in vbytes."},
		"feeSat":    {Type: nonNull(long), Description: "Fee in satoshi (0 for the coinbase)."},
		"inputs":    {Type: nonNull(graphql.NewList(nonNull(input))), Description: "Inputs in order, each with the output it spends; empty for a coinbase."},
		"outputs":   {Type: nonNull(graphql.NewList(nonNull(output))), Description: "Outputs in order, each with its spender."},
		"block": {Type: nonNull(block), Description: "The block holding it.",
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) { return s.v.Block(p.Source.(*Tx).Height) })},
	}
	jsonNames := map[string]string{"blockHash": "Block"}
	for name, f := range txFields {
		if f.Resolve == nil {
			f.Resolve = structFieldNamed(name, jsonNames[name])
		}
		tx.AddFieldConfig(name, f)
	}

	addrTxEdge := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AddressTransactionEdge",
		Description: "A transaction in an address's history, with what the address received and sent in it.",
		Fields: graphql.Fields{
			"cursor": {Type: nonNull(graphql.String), Description: "Opaque position of this edge: pass it as after to continue after it.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(edge).cursor, nil }},
			"txid":        {Type: nonNull(graphql.String), Description: "The transaction's id.", Resolve: addrTxField(func(t AddressTx) any { return t.Txid })},
			"height":      {Type: nonNull(long), Description: "Height of its block.", Resolve: addrTxField(func(t AddressTx) any { return t.Height })},
			"time":        {Type: nonNull(graphql.String), Description: "Its block's time stamp.", Resolve: addrTxField(func(t AddressTx) any { return t.Time })},
			"receivedSat": {Type: nonNull(long), Description: "Satoshi its outputs paid to the address.", Resolve: addrTxField(func(t AddressTx) any { return t.ReceivedSat })},
			"sentSat":     {Type: nonNull(long), Description: "Satoshi its inputs spent from the address.", Resolve: addrTxField(func(t AddressTx) any { return t.SentSat })},
			"node": {Type: nonNull(tx), Description: "The whole transaction.",
				Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
					return s.v.Tx(p.Source.(edge).node.(AddressTx).Txid)
				})},
		},
	})
	addrTxConn := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AddressTransactionConnection",
		Description: "A page of an address's transactions, newest first.",
		Fields: graphql.Fields{
			"totalCount": {Type: nonNull(graphql.Int), Description: "Transactions in the address's whole history.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*connection).total, nil }},
			"pageInfo": {Type: nonNull(pageInfo), Description: "Whether more follows and the cursor to continue after.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source, nil }},
			"edges": {Type: nonNull(graphql.NewList(nonNull(addrTxEdge))), Description: "The transactions of this page.",
				Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(*connection).edges, nil }},
		},
	})
	addrField := func(get func(*Address) any) graphql.FieldResolveFn {
		return func(p graphql.ResolveParams) (any, error) { return get(p.Source.(*addressNode).view), nil }
	}
	address := graphql.NewObject(graphql.ObjectConfig{
		Name: "Address",
		Description: "An address with its totals and its history. A public key's P2PK and P2PKH forms count as one " +
			"address; linkedForms lists the others.",
		Fields: graphql.Fields{
			"address":         {Type: nonNull(graphql.String), Description: "The address as asked for.", Resolve: addrField(func(a *Address) any { return a.Address })},
			"type":            {Type: nonNull(graphql.String), Description: "Script type of the address.", Resolve: addrField(func(a *Address) any { return a.Type })},
			"linkedForms":     {Type: nonNull(graphql.NewList(nonNull(graphql.String))), Description: "Other forms of the same key.", Resolve: addrField(func(a *Address) any { return nonNilStrings(a.Linked) })},
			"balanceSat":      {Type: nonNull(long), Description: "Received minus sent, in satoshi.", Resolve: addrField(func(a *Address) any { return a.BalanceSat })},
			"receivedSat":     {Type: nonNull(long), Description: "Everything received, in satoshi.", Resolve: addrField(func(a *Address) any { return a.ReceivedSat })},
			"sentSat":         {Type: nonNull(long), Description: "Everything sent, in satoshi.", Resolve: addrField(func(a *Address) any { return a.SentSat })},
			"txCount":         {Type: nonNull(graphql.Int), Description: "Transactions touching the address.", Resolve: addrField(func(a *Address) any { return a.TxCount })},
			"firstSeenHeight": {Type: nonNull(long), Description: "Height of its first transaction.", Resolve: addrField(func(a *Address) any { return a.FirstSeen })},
			"lastSeenHeight":  {Type: nonNull(long), Description: "Height of its latest transaction.", Resolve: addrField(func(a *Address) any { return a.LastSeen })},
			"transactions": {Type: nonNull(addrTxConn), Args: pageArgs("transactions"),
				Description: "The address's transactions, newest first, a page at a time.",
				Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
					node := p.Source.(*addressNode)
					n, err := b.pageSize(p, "Address.transactions")
					if err != nil {
						return nil, err
					}
					after, _ := p.Args["after"].(string)
					if after != "" {
						if _, err := strconv.ParseUint(after, 10, 64); err != nil {
							return nil, Errorf(CodeBadInput, "Address.transactions: after %q is not a cursor this server gave out", clip(after, 80))
						}
					}
					c := &connection{total: node.view.TxCount}
					if n == 0 {
						return c, nil
					}
					view, err := s.v.Address(node.addr, n, after)
					if err != nil {
						return nil, err
					}
					for _, t := range view.Txs {
						c.edges = append(c.edges, edge{cursor: strconv.FormatUint(uint64(t.num), 10), node: t})
					}
					c.hasNext = view.NextCursor != ""
					if len(c.edges) > 0 {
						c.endCursor = c.edges[len(c.edges)-1].cursor
					}
					return c, nil
				})},
		},
	})
	b.AddType(address)
	// A connection's "first" already counts its edges.
	b.SetListSize("BlockTransactionConnection.edges", 1)
	b.SetListSize("AddressTransactionConnection.edges", 1)
	b.SetListSize("Transaction.inputs", 20)
	b.SetListSize("Transaction.outputs", 20)

	return graphql.Fields{
		"stats": {Type: nonNull(stats), Description: "Totals of the index. Role: viewer.",
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				return s.v.Stats(s.chain, s.indexes...)
			})},
		"block": {Type: block, Description: "A block by height or by hash (give exactly one). Role: viewer.",
			Args: graphql.FieldConfigArgument{
				"height": {Type: graphql.Int, Description: "Height in the chain."},
				"hash":   {Type: graphql.String, Description: "Block hash in hex."},
			},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				height, hasHeight := p.Args["height"].(int)
				hash, hasHash := p.Args["hash"].(string)
				var blk *Block
				var err error
				switch {
				case hasHeight == hasHash:
					return nil, Errorf(CodeBadInput, "block: give either height or hash")
				case hasHeight:
					blk, err = s.v.Block(int64(height))
				default:
					blk, err = s.v.BlockByHash(hash)
				}
				if errors.Is(err, storage.ErrNotFound) {
					if hasHeight {
						return nil, Errorf(CodeNotFound, "block: height %d is not indexed", height)
					}
					return nil, Errorf(CodeNotFound, "block: hash %s is not indexed", clip(hash, 80))
				}
				return blk, err
			})},
		"transaction": {Type: tx, Description: "A transaction by id. Role: viewer.",
			Args: graphql.FieldConfigArgument{
				"txid": {Type: nonNull(graphql.String), Description: "Transaction id, 64 hex digits."},
			},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				txid := p.Args["txid"].(string)
				tx, err := s.v.Tx(txid)
				if errors.Is(err, storage.ErrNotFound) {
					return nil, Errorf(CodeNotFound, "transaction: %s is not indexed", clip(txid, 80))
				}
				return tx, err
			})},
		"address": {Type: address, Description: "An address's totals and history. Role: viewer. Any Bitcoin address form of the " +
			"indexed network is accepted, and a public key in hex for P2PK; another network's or chain's address is an error " +
			"saying so, and an address never seen answers NOT_INDEXED.",
			Args: graphql.FieldConfigArgument{
				"address": {Type: nonNull(graphql.String), Description: "The address."},
			},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				addr := p.Args["address"].(string)
				if err := s.foreignAddress(addr); err != nil {
					return nil, err
				}
				view, err := s.v.Address(addr, 1, "")
				if errors.Is(err, storage.ErrNotFound) {
					return nil, Errorf(CodeNotFound, "address: %s is not indexed: never seen on %s", clip(addr, 100), s.v.Net.Name)
				}
				if err != nil {
					return nil, err
				}
				return &addressNode{addr: addr, view: view}, nil
			})},
	}
}

// foreignAddress returns an error for an address of a chain this area
// does not index, so the client learns why rather than "invalid".
func (s *bitcoinSchema) foreignAddress(addr string) error {
	if strings.HasPrefix(addr, "0x") || strings.HasPrefix(addr, "0X") {
		if len(addr) == 42 && isHex(addr[2:]) {
			return Errorf(CodeNotFound, "address: %s is an Ethereum address; Ethereum is not indexed by this server (%s)", addr, s.chain)
		}
		return Errorf(CodeBadInput, "address: %s is not an address (an Ethereum address is 0x and 40 hex digits)", clip(addr, 100))
	}
	if _, _, err := bitcoin.ParseAddress(s.v.Net, addr); err != nil {
		return Errorf(CodeBadInput, "address: %s is not a %s address: %s", clip(addr, 100), s.v.Net.Name, clip(errorTail(err), 200))
	}
	return nil
}

// errorTail returns the last part of a wrapped error's message, which is
// the cause without the input repeated.
func errorTail(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func statsField(get func(*Stats) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return get(p.Source.(*Stats)), nil }
}

func addrTxField(get func(AddressTx) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return get(p.Source.(edge).node.(AddressTx)), nil }
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package ethereum

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Kind says what moved value in a transfer edge.
type Kind uint8

// The kinds are stored in every transfer row: never renumber them.
const (
	KindNative         Kind = 1  // a transaction's own ether value
	KindInternal       Kind = 2  // ether moved by a successful internal CALL
	KindCreate         Kind = 3  // ether endowed on a created contract (CREATE/CREATE2, or a creating transaction)
	KindSelfDestruct   Kind = 4  // a self-destructed contract's balance paid to its beneficiary
	KindERC20          Kind = 5  // an ERC-20 Transfer log
	KindERC721         Kind = 6  // an ERC-721 Transfer log (Amount is 1, TokenID is set)
	KindERC1155        Kind = 7  // an ERC-1155 TransferSingle or one item of a TransferBatch
	KindWETHDeposit    Kind = 8  // wrapped ether minted to the depositor
	KindWETHWithdrawal Kind = 9  // wrapped ether burnt by the withdrawer
	KindFee            Kind = 10 // the priority fee paid to the block's fee recipient
	KindBurn           Kind = 11 // the burnt base fee and blob fee (To is the sink)
	KindWithdrawal     Kind = 12 // a beacon withdrawal (From is the mint)
	KindReward         Kind = 13 // a block or uncle reward (From is the mint)
)

var kindNames = map[Kind]string{
	KindNative: "native", KindInternal: "internal", KindCreate: "create", KindSelfDestruct: "selfdestruct",
	KindERC20: "erc20", KindERC721: "erc721", KindERC1155: "erc1155", KindWETHDeposit: "weth_deposit",
	KindWETHWithdrawal: "weth_withdrawal", KindFee: "fee", KindBurn: "burn", KindWithdrawal: "withdrawal",
	KindReward: "reward",
}

// String returns the kind's name as used in JSON output.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Token reports whether the kind moves a token (Asset is its contract)
// rather than ether.
func (k Kind) Token() bool {
	return k >= KindERC20 && k <= KindWETHWithdrawal
}

// Transfer is one move of value. Mints (withdrawals, rewards, wrapped
// ether deposits) have Mint set and no From; sinks (burnt fees, wrapped
// ether withdrawals) have Sink set and no To.
type Transfer struct {
	Kind    Kind
	From    common.Address
	To      common.Address
	Mint    bool
	Sink    bool
	Asset   common.Address // the token contract; zero for ether
	TokenID *big.Int       // ERC-721 and ERC-1155 only
	Amount  *big.Int
	// Log is the block position of the log the edge came from, or -1.
	Log int64
}

// Skip is a log that looked like a token event but could not be decoded
// (missing indexed topics, wrong data length). It is counted and logged,
// never turned into a transfer.
type Skip struct {
	TxHash common.Hash
	Log    uint32
	Reason string
}

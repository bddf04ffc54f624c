// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Child is created by Splitter with an endowment and can self-destruct,
// paying its balance to a beneficiary.
contract Child {
    constructor() payable {}

    function kill(address payable to) external {
        selfdestruct(to);
    }
}

// Splitter makes internal value calls for spoor's geth tests: it splits
// ether between recipients, pays through a call that reverts (so that a
// reverted subtree moves nothing while the transaction succeeds), and
// creates a funded child contract.
contract Splitter {
    function split(address payable[] calldata to) external payable {
        uint256 share = msg.value / to.length;
        for (uint256 i = 0; i < to.length; i++) {
            (bool ok, ) = to[i].call{value: share}("");
            require(ok, "pay");
        }
    }

    function payThenRevert(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "pay");
        revert("undone");
    }

    // tryPay keeps msg.value: the inner payment is reverted.
    function tryPay(address payable to) external payable {
        try this.payThenRevert{value: msg.value}(to) {} catch {}
    }

    function spawn() external payable returns (address) {
        Child c = new Child{value: msg.value}();
        return address(c);
    }

    function fail() external payable {
        revert("always");
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Collectibles emits ERC-721 and ERC-1155 transfer events for spoor's
// geth tests. It keeps ownership and balances so that the test can check
// the index against the contract's own state.
contract Collectibles {
    mapping(uint256 => address) public ownerOf;
    mapping(uint256 => mapping(address => uint256)) public balanceOf;

    // ERC-721: tokenId is the third indexed topic.
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);
    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    function mintNFT(address to, uint256 id) external {
        require(ownerOf[id] == address(0), "exists");
        ownerOf[id] = to;
        emit Transfer(address(0), to, id);
    }

    function moveNFT(address to, uint256 id) external {
        require(ownerOf[id] == msg.sender, "owner");
        ownerOf[id] = to;
        emit Transfer(msg.sender, to, id);
    }

    function mint1155(address to, uint256 id, uint256 value) external {
        balanceOf[id][to] += value;
        emit TransferSingle(msg.sender, address(0), to, id, value);
    }

    function batch1155(address to, uint256[] calldata ids, uint256[] calldata values) external {
        for (uint256 i = 0; i < ids.length; i++) {
            require(balanceOf[ids[i]][msg.sender] >= values[i], "balance");
            balanceOf[ids[i]][msg.sender] -= values[i];
            balanceOf[ids[i]][to] += values[i];
        }
        emit TransferBatch(msg.sender, msg.sender, to, ids, values);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";

/// Holds deposits, escrows each task's payment from its client's balance at publish, and releases
/// it to the winning provider on confirmation (or back to the client on cancel).
contract Vault is Ownable {
    event Deposited(address account, uint256 amount);
    event Withdrawn(address account, uint256 amount);
    event Claimed(address account, uint256 amount);

    address public nexus;
    address public controller;
    address public terminal;

    mapping(address => uint256) public balanceOf;
    mapping(address => uint256) public frozenPayment;
    mapping(address => uint256) public totalEarningsOf;
    mapping(address => uint256) public lockupOf;

    constructor(address _manager, address _nexus, address _terminal) Ownable(_manager) {
        nexus = _nexus;
        terminal = _terminal;
    }

    modifier onlyProtocol() {
        require(msg.sender == nexus || msg.sender == controller, "NotOwner");
        _;
    }

    function setNexus(address _nexus) external onlyOwner {
        nexus = _nexus;
    }

    function setController(address _controller) external onlyOwner {
        controller = _controller;
    }

    function setTerminal(address _terminal) external onlyOwner {
        terminal = _terminal;
    }

    function getBalanceOf(address account) external view returns (uint256) {
        return balanceOf[account];
    }

    function getLockupOf(address account) external view returns (uint256) {
        return lockupOf[account];
    }

    function deposit(address account) external payable {
        balanceOf[account] += msg.value;
        emit Deposited(account, msg.value);
    }

    function withdraw(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "InsufficientBalance");
        balanceOf[msg.sender] -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        require(ok, "InsufficientBalance");
    }

    function freezePayment(address client, address task, uint256 amount) external onlyProtocol {
        require(balanceOf[client] >= amount, "InsufficientBalance");
        balanceOf[client] -= amount;
        frozenPayment[task] += amount;
    }

    function processPayment(address, address provider, address task, uint256 amount) external onlyProtocol {
        require(frozenPayment[task] >= amount, "InsufficientBalance");
        frozenPayment[task] -= amount;
        balanceOf[provider] += amount;
        totalEarningsOf[provider] += amount;
    }

    function releasePayment(address client, address task) external onlyProtocol {
        uint256 amount = frozenPayment[task];
        frozenPayment[task] = 0;
        balanceOf[client] += amount;
    }
}

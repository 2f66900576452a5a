// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";

/// Identity and delegation, with the deployed Terminal's signatures for the parts clients use:
/// a principal (a client, or a provider's master) authorizes agents with `setAgent`, and protocol
/// calls accept `isAgentOf(principal, msg.sender)`. No event parameter is indexed, as deployed.
/// The provider-side parts (announceProvider, masterOf, ...) are not part of the devnet.
contract Terminal is Ownable {
    event AgentSet(address account, address agent, bool value);
    event DefaultAgentDisabled(address master, bool value);

    address public manager;
    address public vault;

    /// principal => agent => authorized.
    mapping(address => mapping(address => bool)) public isAgentOf;
    /// Whether a master turned the network's default agent off.
    mapping(address => bool) public defaultAgentDisabled;

    constructor(address _manager, address _vault) Ownable(msg.sender) {
        manager = _manager;
        vault = _vault;
    }

    function setManager(address _manager) external onlyOwner {
        manager = _manager;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    /// Authorize (`value` true) or revoke (false) `agent` to act for the caller.
    function setAgent(address agent, bool value) external {
        require(agent != address(0) && agent != msg.sender, "NotEligible");
        isAgentOf[msg.sender][agent] = value;
        emit AgentSet(msg.sender, agent, value);
    }

    function getIsAgentOf(address master, address agent) external view returns (bool) {
        return isAgentOf[master][agent];
    }

    function setDefaultAgentDisabled(bool value) external {
        defaultAgentDisabled[msg.sender] = value;
        emit DefaultAgentDisabled(msg.sender, value);
    }
}

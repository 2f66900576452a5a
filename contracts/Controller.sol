// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";
import "./Nexus.sol";
import "./Source.sol";
import "./Task.sol";
import "./Response.sol";
import "./Vault.sol";
import "./Terminal.sol";

/// The client's entry point: publish, confirm and cancel tasks.
contract Controller is Ownable {
    address public nexus;
    address public terminal;
    address public vault;

    constructor(address _nexus, address _terminal, address _vault) Ownable(msg.sender) {
        nexus = _nexus;
        terminal = _terminal;
        vault = _vault;
    }

    function setNexus(address _nexus) external onlyOwner {
        nexus = _nexus;
    }

    function setTerminal(address _terminal) external onlyOwner {
        terminal = _terminal;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    function publishTask(TaskParams memory _taskParams) external {
        Nexus n = Nexus(nexus);
        require(n.sourceId(_taskParams.source) != 0, "NotEligible");
        Source source = Source(_taskParams.source);
        SourceParams memory sp = source.getSourceParams();
        require(_isClientOrAgent(sp.client), "NotOwner");
        require(source.getStatus() == SourceStatus.ACTIVE, "SourceInactive");
        require(_taskParams.expiryTime > block.timestamp, "Expired");
        require(sp.maxExpiryDuration == 0 || _taskParams.expiryTime - block.timestamp <= sp.maxExpiryDuration, "NotEligible");
        require(_taskParams.payment >= sp.minPayment, "InsufficientBalance");
        Task task = new Task(_taskParams, sp.deliveryMethod, nexus);
        Vault(vault).freezePayment(sp.client, address(task), _taskParams.payment);
        n.emitTaskPublished(address(task), address(source));
    }

    function confirmResponse(address response) external {
        Nexus n = Nexus(nexus);
        address taskAddr = n.responseTask(response);
        require(taskAddr != address(0), "NotEligible");
        Task task = Task(taskAddr);
        require(_isClientOrAgent(Source(task.getSource()).getClient()), "NotOwner");
        require(!Response(response).confirmedFinal(), "AlreadyConfirmed");
        TaskStatus s = task.getStatus();
        require(s != TaskStatus.FINALIZED && s != TaskStatus.CANCELED, "AlreadyFinalized");
        require(s != TaskStatus.EXPIRED, "Expired");
        n.setResponseStatus(response, uint8(ResponseStatus.CONFIRMED));
    }

    function cancelTask(address task) external {
        Nexus n = Nexus(nexus);
        require(n.taskSource(task) != address(0), "NotEligible");
        Task t = Task(task);
        address client = Source(t.getSource()).getClient();
        require(_isClientOrAgent(client), "NotOwner");
        TaskStatus s = t.getStatus();
        require(s != TaskStatus.EXPIRED, "Expired");
        require(s == TaskStatus.NEW, "AlreadyFinalized");
        n.setTaskStatus(task, uint8(TaskStatus.CANCELED));
        Vault(vault).releasePayment(client, task);
    }

    /// The caller is `client`, or an agent `client` authorized in the Terminal.
    function _isClientOrAgent(address client) internal view returns (bool) {
        if (msg.sender == client) return true;
        return terminal != address(0) && Terminal(terminal).isAgentOf(client, msg.sender);
    }
}

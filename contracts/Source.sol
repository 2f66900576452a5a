// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";

/// A published compute service owned by a client. Deployed and owned by Nexus.
contract Source is Ownable {
    SourceParams public sourceParams;
    SourceStatus public status;
    address public immutable nexus;
    address[] public tasks;

    constructor(SourceParams memory _sourceParams) payable Ownable(msg.sender) {
        sourceParams = _sourceParams;
        nexus = msg.sender;
        status = SourceStatus.ACTIVE;
    }

    function getSourceParams() external view returns (SourceParams memory) {
        return sourceParams;
    }

    function getClient() external view returns (address) {
        return sourceParams.client;
    }

    function getStatus() external view returns (SourceStatus) {
        return status;
    }

    function getTaskCount() external view returns (uint256) {
        return tasks.length;
    }

    /// Tasks in slots lower..upper (inclusive). Like the deployed contract, the result is indexed
    /// from `lower` rather than from 0, so any call with `lower != 0` reverts (panic 0x32):
    /// read from 0.
    function getTasks(uint256 lower, uint256 upper) external view returns (address[] memory out) {
        out = new address[](upper - lower + 1);
        for (uint256 i = lower; i <= upper; i++) {
            out[i] = tasks[i];
        }
    }

    function setSourceParams(SourceParams memory _sourceParams) external onlyOwner {
        sourceParams = _sourceParams;
    }

    function setStatus(SourceStatus _status) external onlyOwner {
        status = _status;
    }

    function publishTask(address task) external onlyOwner {
        tasks.push(task);
    }
}

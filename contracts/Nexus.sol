// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./Common.sol";
import "./Source.sol";
import "./Task.sol";
import "./Response.sol";
import "./Vault.sol";
import "./Terminal.sol";

/// The protocol hub: sources, provider attempts and responses, and every protocol event.
/// No event parameter is indexed, as on the deployed contract.
contract Nexus is Ownable {
    event SourcePublished(address source);
    event TaskPublished(address task, address source);
    event TaskStatusChanged(address task, uint8 status);
    event ResponseSubmitted(address response, address task);
    event ResponseStatusChanged(address response, uint8 status);
    event Attempted(address task, address provider, uint256 suggestedPayment);

    bytes32 public constant CONTROLLER = keccak256("CONTROLLER");
    bytes32 public constant PROVIDER = keccak256("PROVIDER");

    address public manager;
    address public terminal;
    address public vault;
    address public controller;

    address[] public sources;
    /// 1-based id of each source; 0 means unknown.
    mapping(address => uint256) public sourceId;
    mapping(address => address[]) public sourcesOf;
    address[] public clients;
    mapping(address => bool) private isClient;
    /// The source of each task published through the Controller; zero for unknown tasks.
    mapping(address => address) public taskSource;
    /// The task of each response deployed here; zero for unknown responses.
    mapping(address => address) public responseTask;

    constructor(address _manager, address _terminal, address _vault) Ownable(msg.sender) {
        manager = _manager;
        terminal = _terminal;
        vault = _vault;
    }

    modifier onlyController() {
        require(msg.sender == controller, "NotOwner");
        _;
    }

    // ---- admin -------------------------------------------------------------------------------

    function setManager(address _manager) external onlyOwner {
        manager = _manager;
    }

    function setTerminal(address _terminal) external onlyOwner {
        terminal = _terminal;
    }

    function setVault(address _vault) external onlyOwner {
        vault = _vault;
    }

    function setController(address _controller) external onlyOwner {
        controller = _controller;
    }

    function checkController(address account) external view returns (bool) {
        return account == controller;
    }

    // ---- sources -----------------------------------------------------------------------------

    function publishSource(SourceParams memory _sourceParams) external {
        require(_sourceParams.client == msg.sender, "NotOwner");
        _sourceParams.lastUpdateTime = block.timestamp;
        Source source = new Source(_sourceParams);
        sources.push(address(source));
        sourceId[address(source)] = sources.length;
        sourcesOf[msg.sender].push(address(source));
        if (!isClient[msg.sender]) {
            isClient[msg.sender] = true;
            clients.push(msg.sender);
        }
        emit SourcePublished(address(source));
    }

    function getSourceCount() external view returns (uint256) {
        return sources.length;
    }

    function getSourceId(address source) external view returns (uint256) {
        return sourceId[source];
    }

    /// Sources in slots lower..upper, both bounds inclusive.
    function getSources(uint256 lower, uint256 upper) external view returns (address[] memory out) {
        out = new address[](upper - lower + 1);
        for (uint256 i = lower; i <= upper; i++) {
            out[i - lower] = sources[i];
        }
    }

    function getActiveSourceCount(address client) external view returns (uint256 n) {
        address[] storage mine = sourcesOf[client];
        for (uint256 i = 0; i < mine.length; i++) {
            if (Source(mine[i]).getStatus() == SourceStatus.ACTIVE) n++;
        }
    }

    function setSourceStatus(address source, uint8 _status) external {
        require(sourceId[source] != 0, "NotEligible");
        require(_isClientOrAgent(Source(source).getClient()) || msg.sender == owner(), "NotOwner");
        Source(source).setStatus(SourceStatus(_status));
    }

    function inactivateSource(address source) external {
        require(sourceId[source] != 0, "NotEligible");
        require(_isClientOrAgent(Source(source).getClient()) || msg.sender == owner(), "NotOwner");
        Source(source).setStatus(SourceStatus.INACTIVE);
    }

    /// The caller is `client`, or an agent `client` authorized in the Terminal.
    function _isClientOrAgent(address client) internal view returns (bool) {
        if (msg.sender == client) return true;
        return terminal != address(0) && Terminal(terminal).isAgentOf(client, msg.sender);
    }

    // ---- tasks (called by the Controller) ----------------------------------------------------

    function emitTaskPublished(address task, address source) external onlyController {
        taskSource[task] = source;
        Source(source).publishTask(task);
        emit TaskPublished(task, source);
    }

    function setTaskStatus(address task, uint8 _status) external onlyController {
        require(taskSource[task] != address(0), "NotEligible");
        Task(task).setStatus(TaskStatus(_status));
        emit TaskStatusChanged(task, _status);
    }

    /// Confirming a response: response CONFIRMED, task FINALIZED with its winning provider, and
    /// the escrowed payment released to that provider.
    function setResponseStatus(address response, uint8 _status) external onlyController {
        require(responseTask[response] != address(0), "NotEligible");
        require(_status == uint8(ResponseStatus.CONFIRMED), "NotEligible");
        _confirm(response);
    }

    function _confirm(address response) internal {
        Response r = Response(response);
        ResponseParams memory p = r.getResponseParams();
        Task task = Task(p.task);
        r.confirm();
        task.setWinningProvider(p.provider);
        task.setStatus(TaskStatus.FINALIZED);
        address client = Source(task.getSource()).getClient();
        Vault(vault).processPayment(client, p.provider, p.task, task.getPayment());
        emit ResponseStatusChanged(response, uint8(ResponseStatus.CONFIRMED));
        emit TaskStatusChanged(p.task, uint8(TaskStatus.FINALIZED));
    }

    // ---- providers ---------------------------------------------------------------------------

    function _requireOpen(Task task) internal view {
        TaskStatus s = task.getStatus();
        require(s != TaskStatus.EXPIRED, "Expired");
        require(s != TaskStatus.FINALIZED && s != TaskStatus.CANCELED, "AlreadyFinalized");
    }

    function attempt(address task, address provider, uint256 suggestedPayment) external {
        require(msg.sender == provider, "NotProvider");
        require(taskSource[task] != address(0), "NotEligible");
        Task t = Task(task);
        _requireOpen(t);
        TaskStatus before = t.getStatus();
        t.attempt(provider);
        emit Attempted(task, provider, suggestedPayment);
        if (before == TaskStatus.NEW) emit TaskStatusChanged(task, uint8(TaskStatus.ATTEMPTED));
    }

    function submitResponse(ResponseParams memory _responseParams) external {
        require(msg.sender == _responseParams.provider, "NotProvider");
        address task = _responseParams.task;
        require(taskSource[task] != address(0), "NotEligible");
        Task t = Task(task);
        _requireOpen(t);
        TaskStatus before = t.getStatus();
        Response response = new Response(_responseParams);
        responseTask[address(response)] = task;
        t.submitResponse(address(response), _responseParams.provider);
        emit ResponseSubmitted(address(response), task);
        if (before != TaskStatus.RESPONDED) emit TaskStatusChanged(task, uint8(TaskStatus.RESPONDED));
        if (t.getDeliveryMethod() == DeliveryMethod.FIRST_RESPONSE) _confirm(address(response));
    }
}

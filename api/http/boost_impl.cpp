// The one translation unit that compiles Boost.Asio's and Boost.Beast's
// implementations (BOOST_*_SEPARATE_COMPILATION), so that server.cpp does not
// instantiate them again.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
